/**
 * What the maintainers measure runs under the maintainers' settings (issue #33 items 2, 3, 10, 11):
 * a contributor's token budget, seed or benchmark list never reaches how the registry's benchmarks
 * are asked or judged. Evaluations here run the real harness on the fixture registry's tiny base.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";
import { readAppEnvironment } from "../src/app/environment.ts";
import { parseHiddenPins } from "../src/core/evaluation/hidden-pins.ts";
import { sampleResults } from "../fixtures/sample-results.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { expectedResultsFor } from "../src/core/contamination/benchmarks-for.ts";
import { incompleteness } from "../src/core/evaluation/completeness.ts";
import { renderScorecard } from "../src/core/evaluation/scorecard.ts";
import { trainingSeeds } from "../src/core/evaluation/seeds.ts";
import { DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import { evaluateRegistryAdapter } from "../src/eval/evaluate-adapter.ts";
import { fixtureBaseOf } from "../src/eval/fixture-model.ts";
import { EvaluationHarness } from "../src/eval/harness.ts";
import { tinyLoraGguf } from "../src/gguf/tiny-llama.ts";
import { checkRegistry, FIXTURE_ROOT, registryWithValidAdapter } from "./support/registry.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-registry-settings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe("maintainers' benchmarks under the registry's settings (item 2)", () => {
  it("the contributor's max_tokens reaches only their own benchmark; each other one runs under the registry's budget", async () => {
    const source = registryWithValidAdapter();
    const edit = async (path: string, change: (text: string) => string) =>
      source.set(path, Buffer.from(change(Buffer.from(await source.read(path)).toString())));
    // the contributor asks for 2 tokens; registry.yaml sets 6 for math, the config's default (5) the rest
    await edit("adapters/math-gsm8k/adapter.yaml", (t) => t.replace(/max_tokens: 48.*/, "max_tokens: 2"));
    await edit("registry.yaml", (t) =>
      t
        .replace("{type: numeric, max_tokens: 48}", "{type: numeric, max_tokens: 6}")
        .replaceAll(", max_tokens: 48}", "}"),
    );
    await edit(".github/loragate.yml", (t) => `${t}evaluation:\n  max_tokens: 5\n`);
    const harness = await EvaluationHarness.open({
      basePath: file("base.gguf", fixtureBaseOf(FIXTURE_ROOT).gguf),
    });
    const asked = vi.spyOn(harness, "generate");
    try {
      const results = await evaluateRegistryAdapter({
        source,
        adapter: "math-gsm8k",
        harness,
        adapterPath: file("adapter.gguf", tinyLoraGguf()),
        headSha: "a".repeat(40),
        hardware: "test CPU",
        settings: { seed: 42, re2: false, parallel: 8 },
        hidden: [
          {
            label: "hidden 1",
            sha256: "f".repeat(64),
            items: [{ id: "h1", instruction: "2 + 2?", input: "", expected_output: "4", difficulty: "easy" }],
          },
        ],
      });
      expect(results.benchmarks.map((b) => [b.name, b.max_tokens])).toEqual([
        ["own", 2],
        ["math", 6],
        ["code", 5],
        ["analysis", 5],
        ["hidden 1", 5],
      ]);
      // one batch per budget and model, each with the items of the benchmarks of that budget
      expect(
        asked.mock.calls.map(([prompts, options]) => [options.maxTokens, prompts.length]).sort(),
      ).toEqual(
        [
          [2, 60],
          [2, 60],
          [5, 121],
          [5, 121],
          [6, 60],
          [6, 60],
        ].sort(),
      );
      const expected = await expectedResultsFor({ source, adapter: "math-gsm8k", hiddenBenchmarks: 1 });
      if (typeof expected === "string") throw new Error(expected);
      expect(incompleteness(results, expected)).toEqual([]);
      // results whose maintainers' benchmarks ran under the contributor's budget are not complete
      const steered = {
        ...results,
        benchmarks: results.benchmarks.map((b) => ({ ...b, max_tokens: 2 })),
      };
      expect(incompleteness(steered, expected)).toEqual([
        "math was asked with a budget of 2 tokens, the registry's is 6",
        "code was asked with a budget of 2 tokens, the registry's is 5",
        "analysis was asked with a budget of 2 tokens, the registry's is 5",
        "hidden 1 was asked with a budget of 2 tokens, the registry's is 5",
      ]);
    } finally {
      await harness.dispose();
    }
  }, 300_000);

  it("most base answers cut at the budget is a finding in the verdict's reasons, naming whose setting to raise", () => {
    const results = sampleResults();
    const cut = { base: { max_tokens: 60, empty: 0 }, adapter: { max_tokens: 60, empty: 0 } };
    results.benchmarks[1] = { ...results.benchmarks[1]!, generation: cut, max_tokens: 48 };
    results.benchmarks[0] = {
      ...results.benchmarks[0]!,
      generation: { ...cut, base: { max_tokens: 30, empty: 0 } },
    };
    const verdict = evaluateBar({ results, config: DEFAULT_CONFIG });
    expect(verdict.reasons.filter((r) => r.rule === "measured")).toEqual([
      {
        rule: "measured",
        ok: true,
        text: "measured: most base answers ran into the token budget (math 60/60 at 48 tokens), so those scores say little about the base; raise evaluation.max_tokens: the registry's in registry.yaml ⚠",
      },
    ]);
    expect(renderScorecard({ results, verdict })).toContain(
      "- measured: most base answers ran into the token budget",
    );
  });
});

describe("the registry decides what guards an adapter (item 3) and with which seeds (item 8)", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";

  it("out-of-domain benchmarks: every registry one outside the domain by default; a contributor adds, never removes", async () => {
    const source = registryWithValidAdapter();
    const edit = async (path: string, change: (text: string) => string) =>
      source.set(path, Buffer.from(change(Buffer.from(await source.read(path)).toString())));
    await edit("adapters/math-gsm8k/adapter.yaml", (t) =>
      t.replace("ood_benchmarks: [code, analysis]", "ood_benchmarks: []"),
    );
    const kinds = async () => {
      const expected = await expectedResultsFor({ source, adapter: "math-gsm8k", hiddenBenchmarks: 0 });
      if (typeof expected === "string") throw new Error(expected);
      return expected.benchmarks.map((b) => `${b.kind} ${b.name}`);
    };
    expect(await kinds()).toEqual(["own own", "domain math", "ood code", "ood analysis"]);
    // the registry narrows its own list; the adapter's list can only add to it
    await edit(
      ".github/loragate.yml",
      (t) => `${t.replace(/^bar:\n/m, "bar:\n  out_of_domain:\n    benchmarks: [code]\n")}`,
    );
    expect(await kinds()).toEqual(["own own", "domain math", "ood code"]);
    await edit("adapters/math-gsm8k/adapter.yaml", (t) =>
      t.replace("ood_benchmarks: []", "ood_benchmarks: [analysis]"),
    );
    expect(await kinds()).toEqual(["own own", "domain math", "ood code", "ood analysis"]);
    // a name the registry does not have is the config's error, not a guard skipped in silence
    source.set(".github/loragate.yml", Buffer.from("bar:\n  out_of_domain:\n    benchmarks: [cod]\n"));
    const report = await checkRegistry({ source, adapter: "math-gsm8k", skipContamination: true });
    expect(report.registry.findings).toContainEqual(
      expect.objectContaining({
        rule: "unknown-benchmark",
        field: "bar.out_of_domain.benchmarks.0",
        severity: "error",
      }),
    );
  });

  it("seeds: the recipe's first, the others drawn by the registry from the commit, whatever the recipe's seed", () => {
    const seeds = trainingSeeds(42, 3, sha);
    expect(seeds[0]).toBe(42);
    expect(seeds).toHaveLength(3);
    // a contributor who searched locally for a start s where s, s+1, s+2 pass chose one training of three
    expect(trainingSeeds(7, 3, sha).slice(1)).toEqual(seeds.slice(1));
    expect(seeds.slice(1)).not.toEqual([43, 44]);
    expect(trainingSeeds(42, 3, "f".repeat(40)).slice(1)).not.toEqual(seeds.slice(1));
    // the largest seed a recipe may hold never makes a seed train.py refuses (it used to ask for 2^32)
    for (const seed of trainingSeeds(2 ** 32 - 1, 10, sha)) {
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThanOrEqual(2 ** 32 - 1);
    }
    expect(new Set(trainingSeeds(2 ** 32 - 1, 10, sha)).size).toBe(10);
  });

  it("completeness: results trained with the contributor's s, s+1, s+2 instead of the registry's seeds do not pass", async () => {
    const source = registryWithValidAdapter();
    source.set(".github/loragate.yml", Buffer.from("bar:\n  seeds: 3\n"));
    const expected = await expectedResultsFor({
      source,
      adapter: "math-gsm8k",
      hiddenBenchmarks: 0,
      headSha: sha,
    });
    if (typeof expected === "string") throw new Error(expected);
    const withSeeds = (seeds: number[]) => {
      const results = sampleResults();
      return {
        ...results,
        seeds: seeds.map((seed, i) => ({ seed, adapter_sha256: String(i).repeat(64) })),
      };
    };
    const wanted = trainingSeeds(42, 3, sha);
    const own = (seeds: number[]) =>
      incompleteness(withSeeds(seeds), expected).filter((p) => p.includes("seeds"));
    expect(own(wanted)).toEqual([]);
    expect(own([42, 43, 44])).toEqual([
      `trained with seeds 42, 43, 44, the registry's are ${wanted.join(", ")}`,
    ]);
  });
});

describe("hidden benchmarks pinned where only the app and runners read them (item 11)", () => {
  const pin = (c: string) => c.repeat(64);

  it("complete results hold the pinned hidden files, named by label only", async () => {
    const expected = await expectedResultsFor({
      source: registryWithValidAdapter(),
      adapter: "math-gsm8k",
      hiddenBenchmarks: 1,
    });
    if (typeof expected === "string") throw new Error(expected);
    const results = sampleResults(); // its hidden benchmark's sha256 is "1" x 64
    const hiddenProblems = (pins: string[]) =>
      incompleteness(results, { ...expected, hiddenSha256: pins }).filter(
        (p) => p.includes("hidden") && !p.includes("budget"),
      );
    expect(hiddenProblems([pin("1")])).toEqual([]);
    const swapped = hiddenProblems([pin("2")]);
    expect(swapped).toEqual([
      "hidden 1 is a file the operator did not pin (LORAGATE_HIDDEN_SHA256)",
      "1 pinned hidden benchmark was not evaluated",
    ]);
    expect(swapped.join(" ")).not.toMatch(/[0-9a-f]{12}/); // no hash, no path
    expect(hiddenProblems([pin("1"), pin("3")])).toEqual(["1 pinned hidden benchmark was not evaluated"]);
  });

  it("the pins' variable is checked as the app starts: one line when it is malformed", () => {
    expect(parseHiddenPins(undefined)).toEqual({});
    expect(parseHiddenPins(`${pin("a")},${pin("b")}`)).toEqual({ pins: [pin("a"), pin("b")] });
    expect(parseHiddenPins("abc")).toEqual({
      problem: expect.stringMatching(/^LORAGATE_HIDDEN_SHA256 must be the sha256/),
    });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const env = {
      APP_ID: "1",
      WEBHOOK_SECRET: "s3cret",
      PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    };
    expect(readAppEnvironment({ ...env, LORAGATE_HIDDEN_SHA256: pin("a") })).toHaveProperty("environment");
    expect(readAppEnvironment({ ...env, LORAGATE_HIDDEN_SHA256: "hidden/math.jsonl" })).toEqual({
      problems: [expect.stringMatching(/^LORAGATE_HIDDEN_SHA256 must be the sha256/)],
    });
  });
});
