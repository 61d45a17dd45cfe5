/**
 * LocoLLM's real repository moving in: `loragate import locollm` on a LocoLLM-shaped repository
 * (fixtures/locollm.ts), then `loragate check` on the result, then the imported math adapter retrained
 * from its chat data by train.py and evaluated on the imported registry, as the runners would.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { writeLocoLLMFixture } from "../fixtures/locollm.ts";
import { trainAdapter } from "../src/action/train-adapter.ts";
import { loadRegistryContext } from "../src/core/registry/registry-context.ts";
import { AdapterManifestSchema } from "../src/core/schemas/adapter.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { currentVersion } from "../src/core/registry/current-version.ts";
import { renderLeaderboard } from "../src/core/registry/registry-update.ts";
import { DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import { RegistrySchema } from "../src/core/schemas/registry.ts";
import { sampleResults } from "../fixtures/sample-results.ts";
import { mean } from "../src/core/evaluation/statistics.ts";
import { renderScorecard } from "../src/core/evaluation/scorecard.ts";
import { fixtureBaseOf } from "../src/eval/fixture-model.ts";
import { evaluateRegistryAdapter } from "../src/eval/evaluate-adapter.ts";
import { EvaluationHarness } from "../src/eval/harness.ts";
import { writeModelCache } from "../src/eval/model-cache.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { FIXTURE_ROOT, readTree } from "./support/registry.ts";
import { describeWithTrainer, TRAINER_PYTHON, TRAINER_SCRIPT } from "./support/trainer.ts";
import { scaled } from "./support/load.ts";
import { scratchFolder } from "./support/scratch.ts";
import { cli } from "./support/cli.ts";

const dir = scratchFolder("locollm");
const loco = join(dir, "locollm");
writeLocoLLMFixture(loco);
const base = fixtureBaseOf(FIXTURE_ROOT);
const baseGguf = join(dir, "tiny-llama-fixture-f32.gguf");
writeFileSync(baseGguf, base.gguf);
const REVISION = "0000000000000000000000000000000000000001";
const FIXTURE_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
const importTo = (out: string, ...flags: string[]) => cli("import", "locollm", loco, "--out", out, ...flags);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk the YAML freely
const yamlAt = (path: string) => load(readFileSync(path, "utf8")) as Record<string, any>;

describe("loragate import locollm", () => {
  const out = join(dir, "imported");

  it("writes a registry, its adapters and a report of every TODO; check then finds only the data's own problems", async () => {
    const imported = await importTo(out);
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/next: loragate check /);
    expect(imported.stdout).toContain(
      `imported 3 adapters (1 training set copied) into ${out}: ${readTree(out).size} files written`,
    );

    const check = await cli("check", out, "--format", "json");
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout) as {
      registry: { findings: { rule: string; severity: string; field: string }[] };
      adapters: { name: string; ok: boolean; findings: { rule: string; severity: string; file: string }[] }[];
    };
    const errors = (name: string) =>
      report.adapters
        .find((a) => a.name === name)!
        .findings.filter((f) => f.severity === "error")
        .map((f) => `${f.rule} ${f.file}`);
    // the true ones: no training data committed for code and analysis, 20 items where the bar asks 50
    expect(errors("math")).toEqual([]);
    for (const name of ["code", "analysis"])
      expect(errors(name).sort()).toEqual([
        `missing-file adapters/${name}/adapter.yaml`,
        `too-few-benchmark-items adapters/${name}/eval/benchmark.jsonl`,
      ]);
    // every item of the imported analysis benchmark is valid as it is, with no warning per line
    const benchmarkFindings = report.adapters
      .find((a) => a.name === "analysis")!
      .findings.filter((f) => f.file.endsWith("benchmark.jsonl") && f.rule !== "too-few-benchmark-items");
    expect(benchmarkFindings).toEqual([]);
    // and what the import could not know, said as warnings: the base is not pinned yet
    expect(report.registry.findings.map((f) => `${f.severity} ${f.rule} ${f.field}`)).toEqual([
      "warning unpinned-base base.training.revision",
      "warning unpinned-base base.training.files",
      "warning unpinned-base base.inference.file",
      "warning unpinned-base base.inference.sha256",
    ]);

    const todo = readFileSync(join(out, "IMPORT_REPORT.md"), "utf8");
    expect(todo).toContain("- [ ] registry.yaml base.training.revision");
    expect(todo).toContain("- [ ] registry.yaml base.inference.file and sha256");
    expect(todo).toContain(
      "- [ ] registry.yaml adapters.math.scores.math: the imported version's in-domain score",
    );
    expect(todo).toContain("| eval_type numeric / code / analysis |");
    expect(todo).toContain("adapters/math/math-merged.gguf: not copied (a merged GGUF");
    // only true TODOs: LocoLLM gives versions, and a difficulty is optional
    expect(todo).not.toMatch(/- \[ \] .*(adapter\.yaml version|difficulty)/);
    // every warning check gives is explained in the report, by file and rule
    const explained = todo.slice(
      todo.indexOf("## What `loragate check` will report"),
      todo.indexOf("## Field mapping"),
    );
    for (const a of report.adapters)
      for (const f of a.findings) expect(explained).toContain(`${f.file} ${f.severity} ${f.rule}`);
    expect(explained).toContain("registry.yaml warning unpinned-base");
  });

  it("keeps LocoLLM's versions and registers its adapters as imported: serving, with their provenance", () => {
    const registry = yamlAt(join(out, "registry.yaml"));
    expect(Object.keys(registry.adapters)).toEqual(["math", "code", "analysis"]);
    expect(registry.adapters.math).toEqual({
      domain: "math",
      version: "0.2.0",
      active: true,
      status: "imported",
      imported: {
        from: "locollm",
        gguf_path: "adapters/math/math-merged.gguf",
        training: {
          base_model: "loragate/tiny-llama-fixture",
          method: "qlora",
          lora_r: 16,
          lora_alpha: 32,
          epochs: 10,
          dataset: "synthetic shop prices, from loragate's fixtures/data.ts",
          quantization: "4bit",
        },
      },
    });
    expect(registry.adapters.code).toMatchObject({ version: "0.1.0", active: true, status: "imported" });
    expect(yamlAt(join(out, "adapters/math/adapter.yaml")).version).toBe("0.2.0");
    expect(yamlAt(join(out, "adapters/analysis/adapter.yaml")).version).toBe("0.1.0");
    expect(yamlAt(join(out, "adapters/math/adapter.yaml")).extra).not.toHaveProperty("version");
    expect(renderLeaderboard(RegistrySchema.parse(registry))).toContain(
      "| math | 0.2.0 | ✓ | — | — | imported, not gated |",
    );
  });

  it("a version YAML reads as a number is read as one; one that is no semantic version is kept in extra, with a TODO", async () => {
    const repo = join(dir, "versions");
    writeLocoLLMFixture(repo);
    const index = readFileSync(join(repo, "adapters/registry.yaml"), "utf8").split("\n");
    const versionOf = (name: string) => index.indexOf("    version: 0.1.0", index.indexOf(`  ${name}:`));
    index[versionOf("code")] = "    version: 1.5";
    index[versionOf("analysis")] = "    version: v2";
    writeFileSync(join(repo, "adapters/registry.yaml"), index.join("\n"));
    const versionsOut = join(dir, "versions-out");
    expect((await cli("import", "locollm", repo, "--out", versionsOut)).code).toBe(0);
    expect(yamlAt(join(versionsOut, "adapters/code/adapter.yaml")).version).toBe("1.5.0");
    expect(yamlAt(join(versionsOut, "registry.yaml")).adapters.code.version).toBe("1.5.0");
    const analysis = yamlAt(join(versionsOut, "adapters/analysis/adapter.yaml"));
    expect(analysis.version).toBe("0.1.0");
    expect(analysis.extra.version).toBe("v2");
    expect(readFileSync(join(versionsOut, "IMPORT_REPORT.md"), "utf8")).toContain(
      '- [ ] adapters/analysis/adapter.yaml version: 0.1.0 was set by the import (LocoLLM\'s index gives version "v2", not a semantic version, for analysis)',
    );
  });

  it("the upgrade rule reads the imported version: a gated version must beat its recorded score", () => {
    const registry = RegistrySchema.parse(yamlAt(join(out, "registry.yaml")));
    const current = currentVersion(registry, "math");
    expect(current).toEqual({ version: "0.2.0", imported: true });
    const results = { ...sampleResults(), adapter: "math", version: "0.3.0" };
    const upgrade = () =>
      evaluateBar({
        results,
        config: DEFAULT_CONFIG,
        currentScore: currentVersion(registry, "math"),
      }).reasons.find((r) => r.rule === "upgrade");
    expect(upgrade()).toEqual({
      rule: "upgrade",
      ok: false,
      text: "upgrade: 0.2.0 (imported, not gated by loragate) has no in-domain score on record to beat: a maintainer records it in registry.yaml ✗",
    });
    const gated = evaluateBar({ results, config: DEFAULT_CONFIG }).domain!.adapter;
    registry.adapters.math!.scores.math = { adapter: gated + 0.01, base: 0.1 };
    expect(upgrade()?.text).toBe(
      `upgrade: ${gated.toFixed(2)} vs ${(gated + 0.01).toFixed(2)} of 0.2.0 (imported, not gated by loragate) ✗`,
    );
    registry.adapters.math!.scores.math = { adapter: gated - 0.01, base: 0.1 };
    expect(upgrade()?.ok).toBe(true);
  });

  it("invents nothing and loses nothing: every LocoLLM field is in adapter.yaml, registry.yaml or extra", () => {
    const registry = yamlAt(join(out, "registry.yaml"));
    expect(registry.base).toEqual({
      id: "tiny-llama-fixture-2026",
      training: { hub_id: "loragate/tiny-llama-fixture" },
      inference: { quantization: "F32" },
      extra: { ollama_name: "tiny-llama-fixture:latest" },
    });
    const math = yamlAt(join(out, "adapters/math/adapter.yaml"));
    expect(math).toMatchObject({
      name: "math",
      domain: "math",
      version: "0.2.0",
      license: "MIT", // from the repository's LICENSE
      lora: { r: 16, alpha: 32 },
      training: { epochs: 10 },
      data: {
        train: "training_data.jsonl",
        sources: ["synthetic shop prices, from loragate's fixtures/data.ts"],
      },
      evaluation: { type: "numeric", config: { extraction: "locollm", tolerance: 0 } },
      router_keywords: ["owe", "how many", "total", "calculate"],
      extra: {
        type: "merged-gguf",
        gguf_path: "adapters/math/math-merged.gguf",
        tags: ["arithmetic", "lookup"],
        eval_type: "numeric",
        training: { method: "qlora", quantization: "4bit" },
      },
    });
    expect(yamlAt(join(out, "adapters/code/adapter.yaml")).authors).toEqual(["Bob Jones"]);
    // LocoLLM's analysis scoring (the answer appears in the response); its per-line eval_type says the same
    expect(yamlAt(join(out, "adapters/analysis/adapter.yaml")).evaluation).toEqual({ type: "contains" });
    const analysis = readFileSync(join(out, "adapters/analysis/eval/benchmark.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(analysis.map((line) => Object.keys(JSON.parse(line)).sort())).toEqual(
      Array(20).fill(["expected_output", "id", "input", "instruction"]),
    );
    expect(readFileSync(join(out, "adapters/math/training_data.jsonl"))).toEqual(
      readFileSync(join(loco, "adapters/math/training_data.jsonl")),
    );
    const items = readFileSync(join(out, "adapters/code/eval/benchmark.jsonl"), "utf8").trim().split("\n");
    const first = JSON.parse(items[0]!);
    expect(first).toEqual({
      id: expect.stringMatching(/^code-[0-9a-f]{12}$/),
      instruction:
        "Write a Python function f0(xs) to calculate how many items of xs exceed the total of the first 2.",
      input: "",
      answer_keywords: ["def", "return", "f0"],
    });
    expect(first).not.toHaveProperty("difficulty");
  });

  it("running it twice gives the same files; ids come from the items' content", async () => {
    const again = join(dir, "again");
    expect((await importTo(again)).code).toBe(0);
    expect(readTree(again)).toEqual(readTree(out));
    expect((await importTo(out)).code).toBe(0); // an earlier import is replaced in place
    expect(readTree(out)).toEqual(readTree(again));
  });

  it("pins what the maintainer hands it: --base-gguf is hashed, --base-revision kept", async () => {
    const pinned = join(dir, "pinned");
    expect((await importTo(pinned, "--base-gguf", baseGguf, "--base-revision", REVISION)).code).toBe(0);
    const registry = yamlAt(join(pinned, "registry.yaml"));
    expect(registry.base.training.revision).toBe(REVISION);
    expect(registry.base.inference).toEqual({
      file: "tiny-llama-fixture-f32.gguf",
      sha256: loadedFixtureSha(),
      quantization: "F32",
    });
    const check = await cli("check", pinned, "--format", "json");
    // the training base's files are the one pin left: the import has no copy of that folder to hash
    expect(JSON.parse(check.stdout).registry.findings.map((f: { field: string }) => f.field)).toEqual([
      "base.training.files",
    ]);
  });

  it("check on the LocoLLM repository itself: exit 2, saying what it is and naming the command", async () => {
    const run = await cli("check", loco);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "looks like a LocoLLM repository (adapters/registry.yaml, no registry.yaml)",
    );
    expect(run.stderr).toContain(`loragate import locollm ${loco} --out NEW_DIR`);
  });

  it("refuses an --out that holds other files, a missing repository, and hostile paths in the index", async () => {
    const busy = join(dir, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "notes.txt"), "mine");
    const refused = await importTo(busy);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--out .*busy is not empty and holds no earlier import/);
    expect(readFileSync(join(busy, "notes.txt"), "utf8")).toBe("mine");
    expect((await cli("import", "locollm", join(dir, "nowhere"), "--out", join(dir, "x"))).stderr).toMatch(
      /LocoLLM folder not found/,
    );

    const hostile = join(dir, "hostile");
    writeLocoLLMFixture(hostile);
    const index = readFileSync(join(hostile, "adapters/registry.yaml"), "utf8")
      .replace("eval_dataset: adapters/math/eval_dataset.jsonl", "eval_dataset: ../../../../etc/passwd")
      .replace("  code:\n", '  "../escape":\n')
      .replace("  analysis:\n", "  MATH:\n"); // the same loragate name as math once lower-cased
    writeFileSync(join(hostile, "adapters/registry.yaml"), index);
    const result = await cli("import", "locollm", hostile, "--out", join(dir, "hostile-out"));
    expect(result.code).toBe(0);
    const notes = readFileSync(join(dir, "hostile-out", "IMPORT_REPORT.md"), "utf8");
    expect(notes).toContain('adapter "../escape" skipped');
    expect(notes).toContain('adapter "MATH" skipped: another adapter is already math here');
    // the traversal is never read: the eval set is found where LocoLLM keeps it instead
    expect(notes).toContain("adapters/math/eval_dataset.jsonl: 60 items converted");
    expect(readTree(join(dir, "hostile-out")).has("adapters/code/adapter.yaml")).toBe(false);
  });

  it("an eval line's own id, instruction or expected_output never override what the import derives", async () => {
    const repo = join(dir, "own-fields");
    writeLocoLLMFixture(repo);
    const line = {
      question: "What is 2 + 3?",
      answer: 5,
      id: "../../x",
      instruction: "evil",
      expected_output: "9",
    };
    writeFileSync(
      join(repo, "adapters/math/eval_dataset.jsonl"),
      `${JSON.stringify(line)}\n${JSON.stringify({ ...line, question: "What is 3 + 3?", answer: 6 })}\n`,
    );
    expect((await cli("import", "locollm", repo, "--out", join(dir, "own-fields-out"))).code).toBe(0);
    const items = readFileSync(join(dir, "own-fields-out/adapters/math/eval/benchmark.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(items.map((i) => [i.instruction, i.expected_output])).toEqual([
      ["What is 2 + 3?", "5"],
      ["What is 3 + 3?", "6"],
    ]);
    for (const item of items) expect(item.id).toMatch(/^math-[0-9a-f]{12}$/);
    expect(readFileSync(join(dir, "own-fields-out/IMPORT_REPORT.md"), "utf8")).toContain(
      "line 1: its own id, instruction, expected_output left out (derived from question and answer)",
    );
  });

  it("an eval line nested 5,000 deep is left out with its line and why, not a RangeError", async () => {
    const repo = join(dir, "deep");
    writeLocoLLMFixture(repo);
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    writeFileSync(
      join(repo, "adapters/code/eval_dataset.jsonl"),
      `{"question":"q","answer":${deep}}\n{"question":"fine","answer_keywords":["a"],"meta":{"a":[1,"[[[["]}}\n`,
    );
    const run = await cli("import", "locollm", repo, "--out", join(dir, "deep-out"));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "deep-out/IMPORT_REPORT.md"), "utf8")).toContain(
      "adapters/code/eval_dataset.jsonl: 1 items converted to adapters/code/eval/benchmark.jsonl; left out: line 1 nests deeper than 64 levels",
    );
  });

  it("CLI rough edges: import --help and check --help print their own usage; an unknown option one line", async () => {
    const help = await cli("check", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage:\n {2}loragate check \[registry-dir\]/);
    expect(help.stdout).not.toContain("loragate scorecard");
    expect((await cli("import", "--help")).stdout).toContain(
      "loragate import locollm [LOCOLLM-DIR] --out DIR",
    );
    const bogus = await cli("check", "--bogus");
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toBe("loragate: unknown option --bogus (loragate --help lists the options)\n");
    const file = await cli("check", join(loco, "LICENSE"));
    expect(file.code).toBe(2);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    const noRegistry = await cli("check", empty);
    expect(noRegistry.code).toBe(2);
    expect(noRegistry.stderr).toContain("has no registry.yaml: not a loragate registry");
  });
});

function loadedFixtureSha(): string {
  return (
    load(readFileSync(join(FIXTURE_ROOT, "registry.yaml"), "utf8")) as {
      base: { inference: { sha256: string } };
    }
  ).base.inference.sha256;
}

describeWithTrainer(
  "the imported registry end to end: train.py on its chat data, llama.cpp on its benchmark",
  { timeout: scaled(600_000) },
  () => {
    it("the math adapter retrains from LocoLLM's conversations and beats the base on the imported items", async () => {
      const out = join(dir, "end-to-end");
      expect((await importTo(out, "--base-gguf", baseGguf, "--base-revision", REVISION)).code).toBe(0);
      const registryFile = join(out, "registry.yaml");
      const pinned = parseDocument(readFileSync(registryFile, "utf8"));
      pinned.setIn(
        ["base", "training", "files"],
        Object.fromEntries(
          Object.entries(base.hf).map(([f, bytes]) => [f, createHash("sha256").update(bytes).digest("hex")]),
        ),
      );
      writeFileSync(registryFile, pinned.toString());
      const source = new FsRegistrySource(out);
      const context = await loadRegistryContext(source);
      const paths = writeModelCache({ registry: context.registry!, cacheDir: join(dir, "models"), ...base });
      // LocoLLM's index records no learning rate or target modules (the report says loragate's defaults
      // apply): the maintainer writes down the recipe the adapter was trained with, here the fixture's own.
      const file = join(out, "adapters/math/adapter.yaml");
      const doc = parseDocument(readFileSync(file, "utf8"));
      doc.setIn(["training", "learning_rate"], 1e-3);
      doc.setIn(["lora", "target_modules"], FIXTURE_MODULES);
      writeFileSync(file, doc.toString());
      const manifest = AdapterManifestSchema.parse(yamlAt(file));
      const work = join(dir, "train");
      mkdirSync(work);
      const trained = await trainAdapter({
        trainer: [TRAINER_PYTHON, TRAINER_SCRIPT],
        manifest,
        trainingBase: paths.trainingBase,
        dataset: join(out, "adapters/math/training_data.jsonl"),
        workDir: work,
        log: () => {},
      });
      const adapterPath = join(dir, "math.gguf");
      writeFileSync(adapterPath, trained.gguf);
      const harness = await EvaluationHarness.open({ basePath: paths.gguf });
      try {
        const results = await evaluateRegistryAdapter({
          source,
          adapter: "math",
          harness,
          adapterPath,
          headSha: "0".repeat(40),
          hardware: "local CPU (test)",
          settings: { seed: 42, re2: false, parallel: 8 },
          training: trained.training,
        });
        const own = results.benchmarks.find((b) => b.kind === "own")!;
        expect(own.outcomes).toHaveLength(60);
        expect(own.evaluation_type).toBe("numeric");
        const [baseScore, adapterScore] = [
          mean(own.outcomes.map((o) => o.base)),
          mean(own.outcomes.map((o) => o.adapter)),
        ];
        expect(adapterScore).toBeGreaterThan(baseScore + 0.3);
        const verdict = evaluateBar({ results, config: context.config });
        expect(renderScorecard({ results, verdict })).toContain("math");
      } finally {
        await harness.dispose();
      }
    });
  },
);
