import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { renderConfigTemplate } from "../src/core/registry/config-template.ts";
import { pinBase } from "../src/core/registry/pin-base.ts";
import { DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import { tinyLlamaGguf } from "../src/gguf/tiny-llama.ts";
import { registryFiles } from "../src/cli/init-command.ts";
import { cli } from "./support/cli.ts";
import { scratchFolder } from "./support/scratch.ts";

const tmp = scratchFolder("init");
let n = 0;
const fresh = () => join(tmp, `case-${++n}`);

const REGISTRY_FILES = [
  "registry.yaml",
  "CONTRIBUTING.md",
  ".github/loragate.yml",
  ".github/workflows/loragate.yml",
  ".github/workflows/loragate-site.yml",
  ".github/ISSUE_TEMPLATE/adapter-proposal.yml",
];

/** A training base's folder and GGUF as a maintainer downloads them (the GGUF: a real one, F32). */
function baseFiles(dir: string): { gguf: string; hf: string } {
  const hf = join(dir, "hf-base");
  mkdirSync(join(hf, ".cache", "huggingface"), { recursive: true });
  writeFileSync(join(hf, "config.json"), '{"model_type": "llama"}');
  writeFileSync(join(hf, "model.safetensors"), Buffer.alloc(1024, 7));
  writeFileSync(join(hf, ".cache", "huggingface", "download.lock"), "");
  const gguf = join(dir, "base-f32.gguf");
  writeFileSync(gguf, tinyLlamaGguf({ weights: "F32" }));
  return { gguf, hf };
}

/** The 1-based line of a shipped workflow template that holds `text`. */
const lineOf = (workflow: string, text: string) =>
  readFileSync(join(import.meta.dirname, "..", "templates", "workflows", workflow), "utf8")
    .split("\n")
    .findIndex((line) => line.includes(text)) + 1;

const sha256 = (path: string) => execFileSync("sha256sum", [path], { encoding: "utf8" }).split(" ")[0];

describe("loragate init", () => {
  it("writes a registry that loragate check accepts, warning only about the base still to pin", async () => {
    const dir = fresh();
    const init = await cli("init", dir);
    expect(init.code).toBe(0);
    for (const file of REGISTRY_FILES) expect(existsSync(join(dir, file)), file).toBe(true);
    const check = await cli("check", dir, "--format", "json");
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout);
    expect(
      report.registry.findings.map(
        (f: { rule: string; field: string; file: string; line: number }) =>
          `${f.rule} ${f.field}${f.rule === "unpinned-release" ? ` ${f.file}:${f.line}` : ""}`,
      ),
    ).toEqual([
      // the release each workflow runs: the placeholders until the operator sets them, at their lines
      `unpinned-release LORAGATE_SHA256 .github/workflows/loragate-site.yml:${lineOf("loragate-site.yml", "LORAGATE_SHA256:")}`,
      `unpinned-release uses .github/workflows/loragate.yml:${lineOf("loragate.yml", "loragate/loragate/action@")}`,
      "unpinned-base base.training.revision",
      "unpinned-base base.training.files",
      "unpinned-base base.inference.file",
      "unpinned-base base.inference.sha256",
    ]);
    // The workflows are the ones loragate ships, word for word.
    expect(readFileSync(join(dir, ".github/workflows/loragate.yml"), "utf8")).toBe(
      readFileSync(join(import.meta.dirname, "..", "templates/workflows/loragate.yml"), "utf8"),
    );
  });

  it("shows every config key with its default: uncommented, the file reads as the defaults", () => {
    const uncommented = renderConfigTemplate()
      .split("\n")
      .filter((line) => /^# ( *)[a-z_]+:/.test(line))
      .map((line) => line.slice(2))
      .join("\n");
    expect(parseDocument(uncommented).toJS()).toEqual(JSON.parse(JSON.stringify(DEFAULT_CONFIG)));
  });

  it("refuses a non-empty folder that is not a registry, writing nothing", async () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const r = await cli("init", dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${dir} is not empty and holds no registry.yaml`);
    expect(existsSync(join(dir, "registry.yaml"))).toBe(false);
  });

  it("never overwrites: in a registry it adds only what is missing", async () => {
    const dir = fresh();
    await cli("init", dir);
    writeFileSync(join(dir, "CONTRIBUTING.md"), "our own guide\n");
    rmSync(join(dir, ".github/loragate.yml"));
    const r = await cli("init", dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 file written to .*; kept as they were: registry\.yaml, CONTRIBUTING\.md/);
    expect(readFileSync(join(dir, "CONTRIBUTING.md"), "utf8")).toBe("our own guide\n");
    expect(existsSync(join(dir, ".github/loragate.yml"))).toBe(true);
  });

  it("takes a fresh clone (.git alone) and refuses a file", async () => {
    const dir = fresh();
    mkdirSync(join(dir, ".git"), { recursive: true });
    expect((await cli("init", dir)).code).toBe(0);
    const file = join(tmp, "a-file");
    writeFileSync(file, "");
    const r = await cli("init", file);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining(`${file} is a file, not a folder`) });
  });
});

describe("CONTRIBUTING.md, as init writes it", () => {
  /** The fenced blocks of a markdown text, in order, with their language. */
  const blocks = (markdown: string) =>
    [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
  /** A distinct word per number (a, b, ..., ba, ...): lines differ in words, not only in digits. */
  const word = (n: number): string =>
    (n >= 26 ? word(Math.floor(n / 26) - 1) : "") + String.fromCharCode(97 + (n % 26));

  it("followed to the letter, the adapter it describes passes check with no finding", async () => {
    const dir = fresh();
    expect((await cli("init", dir)).code).toBe(0);
    const guide = readFileSync(join(dir, "CONTRIBUTING.md"), "utf8");
    const [layout, training, benchmark, manifest, command] = blocks(guide);
    expect([layout, training, benchmark, manifest, command].map((b) => b?.lang)).toEqual([
      "",
      "json",
      "json",
      "yaml",
      "sh",
    ]);
    // its adapter.yaml as written, in the folder its layout names
    const name = parseDocument(manifest!.text).get("name") as string;
    const files = layout!.text
      .trim()
      .split("\n")
      .map((line) => {
        const [path, what] = line.split(/\s+# /) as [string, string];
        return {
          path: join(dir, path.trim().replace("<name>", name)),
          least: Number(/at least (\d+)/.exec(what)?.[1] ?? 0),
        };
      });
    const [manifestFile, trainFile, benchmarkFile, logFile] = files as [
      (typeof files)[0],
      (typeof files)[0],
      (typeof files)[0],
      (typeof files)[0],
    ];
    expect(manifestFile.path.endsWith("adapter.yaml")).toBe(true);
    mkdirSync(join(trainFile.path, ".."), { recursive: true });
    mkdirSync(join(benchmarkFile.path, ".."), { recursive: true });
    writeFileSync(manifestFile.path, manifest!.text);
    // as many lines as it asks for, each of the form it shows, each one distinct
    const example = JSON.parse(training!.text);
    writeFileSync(
      trainFile.path,
      Array.from({ length: trainFile.least }, (_, i) =>
        JSON.stringify({ ...example, input: `${example.input} Shop ${word(i)}.` }),
      ).join("\n") + "\n",
    );
    const item = JSON.parse(benchmark!.text);
    writeFileSync(
      benchmarkFile.path,
      Array.from({ length: benchmarkFile.least }, (_, i) =>
        JSON.stringify({
          ...item,
          id: `q-${String(i + 1).padStart(4, "0")}`,
          input: `${item.input} Class ${word(i)} counts again.`,
        }),
      ).join("\n") + "\n",
    );
    writeFileSync(logFile.path, "Trained on one GPU for an hour; the loss fell from 2.1 to 0.4.\n");

    expect(command!.text.trim()).toBe(`loragate check . --adapter ${name}`);
    const check = await cli("check", dir, "--adapter", name, "--format", "json");
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout);
    expect(report.adapters).toEqual([expect.objectContaining({ name, ok: true, findings: [] })]);
    // the registry's own warnings are the operator's (base and release still to pin), none of the adapter's
    expect(report.registry.findings.filter((f: { rule: string }) => !f.rule.startsWith("unpinned-"))).toEqual(
      [],
    );
  });

  it("says what check checks: the layout's files, the bar's minimums and settings, the evaluation types", () => {
    const guide = registryFiles().get("CONTRIBUTING.md")!;
    expect(guide).toContain(`adapters/<name>/TRAINING_LOG.md`);
    expect(guide).not.toContain("training/TRAINING_LOG.md");
    expect(guide).toContain(`at least ${DEFAULT_CONFIG.bar.min_train_examples} unique`);
    expect(guide).toContain(`\`bar.domain.max_p_value: ${DEFAULT_CONFIG.bar.domain.max_p_value}\``);
    expect(guide).not.toMatch(/pooled|bootstrap|ood_benchmarks: \[/);
    expect(guide).toContain("base: my-base-2026 #");
  });
});

describe("loragate pin-base", () => {
  it.each([
    ["Q8_0", "Q8_0"],
    ["F16", "F16"],
  ] as const)("writes the quantization a %s GGUF records (general.file_type)", async (weights, expected) => {
    const dir = fresh();
    await cli("init", dir);
    const { hf } = baseFiles(join(tmp, `quantized-${weights}`));
    const gguf = join(tmp, `quantized-${weights}`, "base.gguf");
    writeFileSync(gguf, tinyLlamaGguf({ weights }));
    expect((await cli("pin-base", "--gguf", gguf, "--hf-base", hf, dir)).code).toBe(0);
    const base = parseDocument(readFileSync(join(dir, "registry.yaml"), "utf8")).toJS().base;
    expect(base.inference.quantization).toBe(expected);
  });

  it("pins the GGUF and every file the trainer loads; check then has nothing left to pin", async () => {
    const dir = fresh();
    await cli("init", dir);
    const { gguf, hf } = baseFiles(tmp);
    const r = await cli("pin-base", "--gguf", gguf, "--hf-base", hf, "--revision", "abc1234", dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("left out, never loaded: .cache");
    const base = parseDocument(readFileSync(join(dir, "registry.yaml"), "utf8")).toJS().base;
    // the quantization is what the file is: the template's Q4_K_M guess is replaced by the GGUF's file type
    expect(base.inference).toEqual({ quantization: "F32", file: "base-f32.gguf", sha256: sha256(gguf) });
    expect(r.stdout).toContain("quantization F32 (read from the file)");
    expect(base.training).toMatchObject({
      revision: "abc1234",
      files: {
        "config.json": sha256(join(hf, "config.json")),
        "model.safetensors": sha256(join(hf, "model.safetensors")),
      },
    });
    const check = await cli("check", dir, "--format", "json");
    expect(check.code).toBe(0);
    expect(
      JSON.parse(check.stdout).registry.findings.filter(
        (f: { rule: string }) => f.rule !== "unpinned-release",
      ),
    ).toEqual([]);
  });

  it("keeps every other line byte for byte: comments, flow maps, quoting; quotes a hash of digits alone", () => {
    const before = `# The pinned base.   (trailing spaces kept)
base:
  id: tiny   # the id, comment spacing kept
  training: {hub_id: "loragate/tiny", revision: '0000000000000000000000000000000000000001'}
  inference:
    quantization: F32
    sha256: 1111111111111111111111111111111111111111111111111111111111111111  # old pin

benchmarks:
  math: { path: benchmarks/math/benchmark.jsonl, sha256: 8ddad887a2f3137610b3493afe1200372085c39b82cff1815e02ca6a138cc5d7, evaluation: {type: numeric} }
adapters:
  a-one:
    domain: math
    version: 1.0.0
    scores:
      math: {adapter: 0.61, base: 0.48}
# a closing comment
`;
    const after = pinBase(before, {
      inference: { file: "new.gguf", sha256: "ab".repeat(32) },
      trainingFiles: { "tokenizer.json": "cd".repeat(32), "config.json": "12".repeat(32) },
    });
    expect(after).toBe(
      before
        .replace(
          "revision: '0000000000000000000000000000000000000001'}",
          `revision: '0000000000000000000000000000000000000001', files: {config.json: "${"12".repeat(32)}", tokenizer.json: ${"cd".repeat(32)}}}`,
        )
        .replace("1".repeat(64), "ab".repeat(32))
        .replace("  # old pin\n", "  # old pin\n    file: new.gguf\n"),
    );
    // Pinned again: the values change in place, nothing is added twice.
    const again = pinBase(after, {
      inference: { file: "new.gguf", sha256: "ef".repeat(32) },
      trainingFiles: { "config.json": "34".repeat(32) },
    });
    expect(again).toBe(
      after
        .replaceAll("ab".repeat(32), "ef".repeat(32))
        .replace(/files: \{[^}]*\}/, `files: {config.json: "${"34".repeat(32)}"}`),
    );
  });

  it("quotes a value YAML would read as a number", () => {
    const text = pinBase(
      readFileSync(join(import.meta.dirname, "..", "templates/registry/registry.yaml"), "utf8"),
      {
        inference: { file: "b.gguf", sha256: "1".repeat(64) },
        trainingFiles: { "config.json": "2".repeat(64) },
        revision: "1234567",
      },
    );
    const base = parseDocument(text).toJS().base;
    expect(base.inference.sha256).toBe("1".repeat(64));
    expect(base.training.revision).toBe("1234567");
    expect(base.training.files["config.json"]).toBe("2".repeat(64));
  });

  it("refuses links, FIFOs and a folder where a file belongs (and the reverse) with exit 2 and the path", async () => {
    const dir = fresh();
    await cli("init", dir);
    const registry = readFileSync(join(dir, "registry.yaml"), "utf8");
    const work = join(tmp, "refusals");
    const { gguf, hf } = baseFiles(work);
    const linked = join(work, "linked-base");
    mkdirSync(linked);
    symlinkSync(join(hf, "config.json"), join(linked, "config.json"));
    const withFifo = join(work, "fifo-base");
    mkdirSync(withFifo);
    execFileSync("mkfifo", [join(withFifo, "model.safetensors")]);
    const oddName = join(work, "odd-base");
    mkdirSync(oddName);
    writeFileSync(join(oddName, "a b.json"), "{}");
    const ggufLink = join(work, "link.gguf");
    symlinkSync(gguf, ggufLink);
    const notGguf = join(work, "not-a-model.gguf");
    writeFileSync(notGguf, "GGUF tiny");
    const cases: [string[], string][] = [
      [["--gguf", notGguf, "--hf-base", hf], `--gguf ${notGguf} is not a GGUF model`],
      [["--gguf", gguf, "--hf-base", linked], `${join(linked, "config.json")} is a symbolic link`],
      [
        ["--gguf", gguf, "--hf-base", withFifo],
        `${join(withFifo, "model.safetensors")} is not a regular file`,
      ],
      [["--gguf", hf, "--hf-base", hf], `--gguf ${hf} is a folder, not a file`],
      [["--gguf", gguf, "--hf-base", gguf], `--hf-base ${gguf} is a file, not the base's folder`],
      [["--gguf", ggufLink, "--hf-base", hf], `--gguf ${ggufLink} is a symbolic link`],
      [["--gguf", join(work, "none.gguf"), "--hf-base", hf], `--gguf not found: ${join(work, "none.gguf")}`],
      [["--hf-base", hf], "pin-base needs --gguf FILE"],
      [
        ["--gguf", gguf, "--hf-base", oddName],
        `base.training.files: "a b.json" must be a path inside the base's folder`,
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await cli("pin-base", ...argv, dir);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(join(dir, "registry.yaml"), "utf8")).toBe(registry);
  });
});
