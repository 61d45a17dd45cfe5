import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { checkRegistry } from "../src/core/check.ts";
import type { Finding } from "../src/core/findings/findings.ts";
import type { AdapterReport } from "../src/core/adapter/validate-adapter.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import type { MemoryRegistrySource } from "../src/io/memory-source.ts";
import { FIXTURE_ROOT, readTree, registryWithValidAdapter, validateIn } from "./support/registry.ts";

const DIR = "adapters/math-gsm8k";
const MANIFEST = `${DIR}/adapter.yaml`;
const TRAIN = `${DIR}/training/dataset.jsonl`;
const BENCH = `${DIR}/eval/benchmark.jsonl`;

const text = async (source: MemoryRegistrySource, path: string) =>
  Buffer.from(await source.read(path)).toString();
const lineOf = (doc: string, prefix: string) => doc.split("\n").findIndex((l) => l.startsWith(prefix)) + 1;

async function withFile(
  path: string,
  edit: (current: string) => string | Uint8Array,
  name?: string,
): Promise<AdapterReport> {
  const source = registryWithValidAdapter(name);
  const target = name ? path.replace("math-gsm8k", name) : path;
  source.set(target, edit(await text(source, target)));
  return validateIn(source, name);
}
const editLine = (n: number, f: (l: string) => string) => (doc: string) =>
  doc
    .split("\n")
    .map((l, i) => (i === n - 1 ? f(l) : l))
    .join("\n");

type Where = Partial<Pick<Finding, "file" | "line" | "column" | "field" | "severity">> & { rule: string };
function expectFinding(report: AdapterReport, where: Where): void {
  const match = report.findings.find((f) =>
    Object.entries(where).every(([k, v]) => f[k as keyof Finding] === v),
  );
  expect(
    match,
    `no ${JSON.stringify(where)} in ${JSON.stringify(report.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule}`))}`,
  ).toBeDefined();
  expect(match!.message.length).toBeGreaterThan(5);
  expect(match!.hint.length).toBeGreaterThan(5);
}

/** The registry's findings but the maintainers' sizing warning, which the fixture's 60-item benchmarks get. */
const registryErrors = (report: { registry: { findings: { rule: string }[] } }) =>
  report.registry.findings.filter((f) => f.rule !== "benchmark-too-small-for-limits");

describe("hostile adapter.yaml", () => {
  it("malformed YAML: yaml-syntax at the bad line", async () => {
    const r = await withFile(MANIFEST, (t) => t.replace("domain: math", "domain: [math"));
    expectFinding(r, { rule: "yaml-syntax", file: MANIFEST, severity: "error" });
    expect(r.ok).toBe(false);
  });
  it("alias bomb: yaml-alias-bomb, bounded", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 7; i++)
      levels.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? "*a" : `*l${i - 1}`)
          .join(", ")}]`,
      );
    const r = await withFile(MANIFEST, (t) => `${t}${levels.join("\n")}\n`);
    expectFinding(r, { rule: "yaml-alias-bomb", file: MANIFEST });
  });
  it("duplicate keys: yaml-duplicate-key at the second key", async () => {
    const r = await withFile(MANIFEST, (t) =>
      t.replace("license: apache-2.0", "license: apache-2.0\nlicense: MIT"),
    );
    const t = await text(registryWithValidAdapter(), MANIFEST);
    expectFinding(r, { rule: "yaml-duplicate-key", file: MANIFEST, line: lineOf(t, "license:") + 1 });
  });
  it("__proto__ key: forbidden-key at its line", async () => {
    const r = await withFile(MANIFEST, (t) => `${t}__proto__:\n  polluted: true\n`);
    expectFinding(r, { rule: "forbidden-key", file: MANIFEST, field: "" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it("constructor key nested: forbidden-key", async () => {
    const r = await withFile(MANIFEST, (t) => t.replace("  r: 16", "  r: 16\n  constructor: 1"));
    expectFinding(r, {
      rule: "forbidden-key",
      file: MANIFEST,
      line: lineOf(await text(registryWithValidAdapter(), MANIFEST), "  r: 16") + 1,
    });
  });
  it("wrong type: lora.r as a word is wrong-type at lora.r", async () => {
    const t0 = await text(registryWithValidAdapter(), MANIFEST);
    const r = await withFile(MANIFEST, (t) => t.replace("  r: 16", "  r: sixteen"));
    expectFinding(r, { rule: "wrong-type", field: "lora.r", line: lineOf(t0, "  r: 16"), column: 3 });
  });
  it("10k-deep nesting: a finding, not a stack overflow", async () => {
    const r = await withFile(MANIFEST, (t) => `${t}deep: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`);
    expectFinding(r, { rule: "yaml-syntax", file: MANIFEST });
  });
  it("empty file: empty-file", async () => {
    expectFinding(await withFile(MANIFEST, () => ""), { rule: "empty-file", file: MANIFEST, line: 0 });
  });
  it("a BOM in YAML is tolerated (YAML allows it)", async () => {
    const r = await withFile(MANIFEST, (t) => `\uFEFF${t}`);
    expect(r.findings).toEqual([]);
  });
  it("invalid UTF-8: invalid-utf8 at its line and column", async () => {
    const r = await withFile(MANIFEST, (t) => {
      const b = Buffer.from(t.replace("description: Prices", "description: Pr\u0001ices"));
      b[b.indexOf(1)] = 0xc3; // a lead byte followed by ASCII: invalid
      return b;
    });
    expectFinding(r, { rule: "invalid-utf8", file: MANIFEST, line: 5, column: 16 });
  });
  it("NUL byte: nul-byte", async () => {
    expectFinding(await withFile(MANIFEST, (t) => t.replace("license: apache", "license: apa\0che")), {
      rule: "nul-byte",
      line: 7,
      column: 13,
    });
  });
  it("a document that is a list: wrong-type", async () => {
    expectFinding(await withFile(MANIFEST, () => "- name: x\n- domain: y\n"), {
      rule: "wrong-type",
      file: MANIFEST,
    });
  });
  it("a huge number: lora.r 1e25 is out-of-range at lora.r", async () => {
    const r = await withFile(MANIFEST, (t) => t.replace("  r: 16", "  r: 9999999999999999999999999"));
    expectFinding(r, { rule: "out-of-range", field: "lora.r", line: 11, column: 3 });
  });
  it("negative epochs: hyperparameter-range at training.epochs", async () => {
    expectFinding(await withFile(MANIFEST, (t) => t.replace("epochs: 10", "epochs: -3")), {
      rule: "hyperparameter-range",
      field: "training.epochs",
      line: 16,
      column: 3,
    });
  });
  it("learning rate of 10: hyperparameter-range", async () => {
    expectFinding(await withFile(MANIFEST, (t) => t.replace("learning_rate: 1.0e-3", "learning_rate: 10")), {
      rule: "hyperparameter-range",
      field: "training.learning_rate",
      line: 17,
    });
  });
  it("name with shell metacharacters in the manifest: invalid-value at name", async () => {
    expectFinding(await withFile(MANIFEST, (t) => t.replace("name: math-gsm8k", 'name: "x; rm -rf / #"')), {
      rule: "invalid-value",
      field: "name",
      line: 2,
      column: 1,
    });
  });
  it("unknown field: unknown-field at its line", async () => {
    expectFinding(await withFile(MANIFEST, (t) => `${t}lora_rank: 16\n`), {
      rule: "unknown-field",
      field: "lora_rank",
      line: 31,
      column: 1,
    });
  });
  it("version that is not semver: invalid-value at version", async () => {
    expectFinding(await withFile(MANIFEST, (t) => t.replace("version: 0.2.0", "version: '1.0'")), {
      rule: "invalid-value",
      field: "version",
      line: 4,
    });
  });
  it("license that is not an SPDX id: invalid-value at license", async () => {
    expectFinding(
      await withFile(MANIFEST, (t) => t.replace("license: apache-2.0", "license: Apache 2.0 or whatever")),
      { rule: "invalid-value", field: "license", line: 7 },
    );
  });
  it("target module outside the allowed set: target-module at its index", async () => {
    expectFinding(
      await withFile(MANIFEST, (t) =>
        t.replace("[q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]", "[q_proj, lm_head]"),
      ),
      { rule: "target-module", field: "lora.target_modules.1", line: 14 },
    );
  });
  it("path traversal ../../x: path-traversal at data.train", async () => {
    expectFinding(
      await withFile(MANIFEST, (t) => t.replace("train: training/dataset.jsonl", "train: ../../x")),
      { rule: "path-traversal", field: "data.train", line: 22, column: 3 },
    );
  });
  it("traversal hidden mid-path: path-traversal", async () => {
    expectFinding(
      await withFile(MANIFEST, (t) =>
        t.replace("train: training/dataset.jsonl", "train: training/../../../registry.yaml"),
      ),
      { rule: "path-traversal", field: "data.train" },
    );
  });
  it("absolute path: absolute-path at data.benchmark", async () => {
    expectFinding(
      await withFile(MANIFEST, (t) => t.replace("benchmark: eval/benchmark.jsonl", "benchmark: /etc/passwd")),
      { rule: "absolute-path", field: "data.benchmark", line: 23 },
    );
  });
  it("Windows drive path: absolute-path", async () => {
    expectFinding(
      await withFile(MANIFEST, (t) =>
        t.replace("benchmark: eval/benchmark.jsonl", "benchmark: C:/data/bench.jsonl"),
      ),
      { rule: "absolute-path", field: "data.benchmark" },
    );
  });
  it("backslashes: invalid-path", async () => {
    expectFinding(
      await withFile(MANIFEST, (t) =>
        t.replace("train: training/dataset.jsonl", "train: 'training\\dataset.jsonl'"),
      ),
      { rule: "invalid-path", field: "data.train" },
    );
  });
  it("data file that is not JSONL: file-type at data.train", async () => {
    expectFinding(
      await withFile(MANIFEST, (t) => t.replace("train: training/dataset.jsonl", "train: TRAINING_LOG.md")),
      { rule: "file-type", field: "data.train", line: 22 },
    );
  });
  it("missing dataset: missing-file at data.train", async () => {
    const source = registryWithValidAdapter().delete(TRAIN);
    expectFinding(await validateIn(source), {
      rule: "missing-file",
      field: "data.train",
      file: MANIFEST,
      line: 22,
    });
  });
  it("missing adapter.yaml: missing-file", async () => {
    expectFinding(await validateIn(registryWithValidAdapter().delete(MANIFEST)), {
      rule: "missing-file",
      file: MANIFEST,
      line: 0,
    });
  });
});

describe("hostile adapter folder names", () => {
  it.each([
    ["shell metacharacters", "x;rm -rf ~"],
    ["a newline", "math\ngsm8k"],
    ["a Cyrillic look-alike a", "m\u0430th-gsm8k"],
    ["upper case", "Math-GSM8K"],
    ["a leading dash", "-math"],
    ["a dot-dot", ".."],
  ])("%s: adapter-name, no file read", async (_label, name) => {
    const source = registryWithValidAdapter(name);
    const r = await validateIn(source, name);
    expect(r.findings).toHaveLength(1);
    expectFinding(r, { rule: "adapter-name", file: `adapters/${name}`, line: 0 });
    expect(r.findings[0]!.message).not.toContain("\n");
  });
});

describe("hostile datasets", () => {
  it("a 50 MB single line: line-too-long, in constant memory", async () => {
    const r = await withFile(
      TRAIN,
      (t) => `${t}{"instruction": "x", "input": "${"a".repeat(50 << 20)}", "output": "y"}\n`,
    );
    expectFinding(r, { rule: "line-too-long", file: TRAIN, line: 521 });
  });
  it("invalid UTF-8: invalid-utf8 at line and column", async () => {
    const r = await withFile(TRAIN, (t) => {
      const b = Buffer.from(t);
      let at = 0;
      for (let i = 1; i < 7; i++) at = b.indexOf(10, at) + 1;
      b[at + 4] = 0xfe;
      return b;
    });
    expectFinding(r, { rule: "invalid-utf8", file: TRAIN, line: 7, column: 5 });
  });
  it("a BOM: bom at 1:1, the rest still read", async () => {
    const r = await withFile(TRAIN, (t) => `\uFEFF${t}`);
    expectFinding(r, { rule: "bom", file: TRAIN, line: 1, column: 1 });
    expect(r.stats.train?.unique).toBe(520);
  });
  it("CRLF line endings: one warning, every example counted", async () => {
    const r = await withFile(TRAIN, (t) => t.replace(/\n/g, "\r\n"));
    expectFinding(r, { rule: "crlf-line-endings", severity: "warning", line: 1 });
    expect(r.ok).toBe(true);
    expect(r.stats.train?.unique).toBe(520);
  });
  it("NUL bytes: nul-byte at the column", async () => {
    const column = (await text(registryWithValidAdapter(), TRAIN)).split("\n")[3]!.indexOf('"input"') + 4;
    expectFinding(
      await withFile(
        TRAIN,
        editLine(4, (l) => l.replace('"input"', '"in\0put"')),
      ),
      { rule: "nul-byte", line: 4, column },
    );
  });
  it("empty file: empty-file and too-few-examples", async () => {
    const r = await withFile(TRAIN, () => "");
    expectFinding(r, { rule: "empty-file", file: TRAIN, line: 0 });
    expectFinding(r, { rule: "too-few-examples", file: TRAIN });
  });
  it("trailing garbage after the object: jsonl-syntax at the garbage", async () => {
    const t0 = await text(registryWithValidAdapter(), TRAIN);
    const len = t0.split("\n")[9]!.length;
    expectFinding(
      await withFile(
        TRAIN,
        editLine(10, (l) => `${l} xyz`),
      ),
      { rule: "jsonl-syntax", line: 10, column: len + 2 },
    );
  });
  it("a JSON array instead of an object: jsonl-not-object", async () => {
    expectFinding(
      await withFile(
        TRAIN,
        editLine(2, () => '["instruction", "input", "output"]'),
      ),
      { rule: "jsonl-not-object", line: 2 },
    );
  });
  it("the whole dataset as one JSON array: jsonl-not-object or syntax, never a crash", async () => {
    const r = await withFile(TRAIN, (t) => `[${t.trim().split("\n").join(",\n")}]\n`);
    expect(r.ok).toBe(false);
    expectFinding(r, { rule: "jsonl-syntax", line: 1 });
  });
  it("10k-deep nesting in a line: a finding", async () => {
    const r = await withFile(
      TRAIN,
      editLine(
        3,
        () => `{"instruction": ${"[".repeat(10_000)}${"]".repeat(10_000)}, "input": "", "output": "x"}`,
      ),
    );
    expectFinding(r, { rule: "wrong-type", field: "instruction", line: 3 });
  });
  it("a Git LFS pointer: lfs-pointer, nothing else", async () => {
    const r = await withFile(
      TRAIN,
      () => "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n",
    );
    expect(r.findings.map((f) => f.rule)).toEqual(["lfs-pointer"]);
  });
  it("__proto__ key in a record: forbidden-key", async () => {
    expectFinding(
      await withFile(
        TRAIN,
        editLine(6, (l) => l.replace("{", '{"__proto__": {"admin": true}, ')),
      ),
      { rule: "forbidden-key", line: 6, column: 2 },
    );
  });
  it("a huge number as output: wrong-type", async () => {
    expectFinding(
      await withFile(
        TRAIN,
        editLine(8, (l) =>
          JSON.stringify({ ...JSON.parse(l), output: 0 }).replace('"output":0', '"output":1e999'),
        ),
      ),
      { rule: "wrong-type", field: "output", line: 8 },
    );
  });
  it("empty instruction: empty-instruction", async () => {
    expectFinding(
      await withFile(
        TRAIN,
        editLine(11, (l) => JSON.stringify({ ...JSON.parse(l), instruction: "" })),
      ),
      { rule: "empty-instruction", line: 11, column: 2 },
    );
  });
  it("a blank line in the middle: blank-line warning", async () => {
    const r = await withFile(
      TRAIN,
      editLine(30, (l) => `${l}\n`),
    );
    expectFinding(r, { rule: "blank-line", severity: "warning", line: 31 });
    expect(r.ok).toBe(true);
  });
  it("no trailing newline: the last line still counts", async () => {
    const r = await withFile(TRAIN, (t) => t.trimEnd());
    expect(r.findings).toEqual([]);
    expect(r.stats.train?.unique).toBe(520);
  });
  it("hostile benchmark ids: invalid-value at id", async () => {
    expectFinding(
      await withFile(
        BENCH,
        editLine(5, (l) => JSON.stringify({ ...JSON.parse(l), id: "$(curl evil)\n" })),
      ),
      { rule: "invalid-value", field: "id", line: 5, column: 2 },
    );
  });
  it("missing expected_output: missing-field", async () => {
    expectFinding(
      await withFile(
        BENCH,
        editLine(9, (l) => {
          const { expected_output: _x, ...rest } = JSON.parse(l);
          return JSON.stringify(rest);
        }),
      ),
      { rule: "missing-field", field: "expected_output", line: 9 },
    );
  });
  it.each([
    [
      { evaluation_type: "regex", evaluation_config: { pattern: "(ab)\\1" } },
      "evaluation_config.pattern",
      "pattern",
    ],
    [
      { evaluation_type: "regex", expected_output: "(?<=x)y" },
      "evaluation_config.pattern",
      "expected_output",
    ],
    [{ evaluation_config: { extract: "a".repeat(501) } }, "evaluation_config.extract", "extract"],
  ])(
    "a benchmark item whose pattern RE2 cannot run (%j): invalid-regex at its line, before any GPU time",
    async (change, field, key) => {
      const edit = (l: string) => JSON.stringify({ ...JSON.parse(l), ...change });
      const edited = edit((await text(registryWithValidAdapter(), BENCH)).split("\n")[4]!);
      const report = await withFile(BENCH, editLine(5, edit));
      const column = edited.indexOf(`"${key}"`) + 1;
      expectFinding(report, {
        rule: "invalid-regex",
        file: BENCH,
        line: 5,
        column,
        field,
        severity: "error",
      });
    },
  );
  it("an item scored by adapter.yaml's regex rule: its expected_output is vetted as the pattern it will be", async () => {
    const source = registryWithValidAdapter();
    const manifest = await text(source, MANIFEST);
    source.set(MANIFEST, manifest.replace(/evaluation:\n(?: {2}.*\n)*/, "evaluation:\n  type: regex\n"));
    source.set(
      BENCH,
      editLine(5, (l) => JSON.stringify({ ...JSON.parse(l), expected_output: "(ab)\\1" }))(
        await text(source, BENCH),
      ),
    );
    const report = await validateIn(source);
    expectFinding(report, {
      rule: "invalid-regex",
      file: BENCH,
      line: 5,
      field: "evaluation_config.pattern",
    });
    // a benchmark-wide pattern in adapter.yaml is what scores; the item's expected_output is then only text
    source.set(
      MANIFEST,
      manifest.replace(
        /evaluation:\n(?: {2}.*\n)*/,
        "evaluation:\n  type: regex\n  config: {pattern: '\\d+'}\n",
      ),
    );
    expect((await validateIn(source)).findings.filter((f) => f.rule === "invalid-regex")).toEqual([]);
  });
  it("many lines that fail alike: the first 20 listed, every one still counted, per rule", async () => {
    const bad = ["{}", '{"instruction": 1, "input": "", "output": "x"}'];
    const report = await withFile(
      TRAIN,
      () => `${Array.from({ length: 3000 }, (_, i) => bad[i % 2]).join("\n")}\n`,
    );
    const note = (rule: string) => report.findings.find((f) => f.rule === rule && f.line === 0)!.message;
    // 1,500 lines miss three fields each; 1,500 have a number for instruction
    expect(note("missing-field")).toBe(
      '4480 more "missing-field" findings in this file were not listed (4500 in all)',
    );
    expect(note("wrong-type")).toBe(
      '1480 more "wrong-type" findings in this file were not listed (1500 in all)',
    );
    expect(report.findings.filter((f) => f.rule === "missing-field" && f.line > 0)).toHaveLength(20);
  });
  it("a benchmark too small for the gain the bar plans to detect: underpowered-benchmark (a warning)", async () => {
    const source = registryWithValidAdapter();
    source.set(".github/loragate.yml", "bar:\n  domain: {planned_gain_points: 10}\n");
    const report = await validateIn(source);
    expectFinding(report, { rule: "underpowered-benchmark", file: BENCH, line: 0, severity: "warning" });
    expect(report.findings.find((f) => f.rule === "underpowered-benchmark")!.message).toBe(
      // power exact for McNemar's exact test (a paired z-test said 197)
      "60 items cannot reliably detect a gain of 10 points (p < 0.05, 80% power): that takes about 215",
    );
    // the default plans 22 points, which 50 items detect
    expect((await validateIn(registryWithValidAdapter())).findings.map((f) => f.rule)).not.toContain(
      "underpowered-benchmark",
    );
  });
  it("a benchmark with one item: too-few-benchmark-items", async () => {
    expectFinding(await withFile(BENCH, (t) => `${t.split("\n")[0]}\n`), {
      rule: "too-few-benchmark-items",
      file: BENCH,
      line: 0,
    });
  });
  it("a pickle beside the data: pickle-weights", async () => {
    const source = registryWithValidAdapter().set(`${DIR}/adapter_model.pt`, "PK\u0003\u0004");
    expectFinding(await validateIn(source), { rule: "pickle-weights", file: `${DIR}/adapter_model.pt` });
  });
});

describe("registry limits and config", () => {
  it("more examples than limits.max_train_examples: too-many-records at the first extra line", async () => {
    const source = registryWithValidAdapter().set(
      ".github/loragate.yml",
      "bar: {min_train_examples: 5}\nlimits: {max_train_examples: 10}\n",
    );
    expectFinding(await validateIn(source), { rule: "too-many-records", line: 11 });
  });
  it("a file over limits.max_file_bytes: file-too-large, and it is not read", async () => {
    const source = registryWithValidAdapter().set(".github/loragate.yml", "limits: {max_file_bytes: 1000}\n");
    const r = await validateIn(source);
    expectFinding(r, { rule: "file-too-large", file: TRAIN });
    expect(r.stats.train).toBeUndefined();
  });
  it("an invalid config: a registry finding at the config field", async () => {
    const source = registryWithValidAdapter().set(
      ".github/loragate.yml",
      "bar:\n  min_train_examples: lots\n",
    );
    const report = await checkRegistry({ source });
    expect(registryErrors(report)).toMatchObject([
      {
        file: ".github/loragate.yml",
        line: 2,
        column: 3,
        rule: "wrong-type",
        field: "bar.min_train_examples",
      },
    ]);
  });
  it("a missing registry.yaml: missing-file, adapters still checked", async () => {
    const report = await checkRegistry({ source: registryWithValidAdapter().delete("registry.yaml") });
    expect(report.registry.findings.map((f) => f.rule)).toEqual(["missing-file"]);
    expect(report.adapters).toHaveLength(1);
  });
  it.each([
    ["../../../../etc/hostname", "path-traversal"],
    ["/etc/hostname", "absolute-path"],
    ["benchmarks\\code\\benchmark.jsonl", "invalid-path"],
  ])("a registry benchmark path %s: %s at the pin's path, nothing read or hashed", async (path, rule) => {
    const source = registryWithValidAdapter();
    const registry = await text(source, "registry.yaml");
    source.set(
      "registry.yaml",
      registry.replace("path: benchmarks/code/benchmark.jsonl", `path: ${JSON.stringify(path)}`),
    );
    const read = vi.spyOn(source, "stat");
    const report = await checkRegistry({ source });
    expect(registryErrors(report)).toMatchObject([
      {
        file: "registry.yaml",
        rule,
        field: "benchmarks.code.path",
        line: registry.split("\n").findIndex((l) => l.includes("benchmarks/code/benchmark.jsonl")) + 1,
      },
    ]);
    expect(read.mock.calls.map(([p]) => p)).not.toContain(path);
  });
  it("a registry benchmark edited after pinning: sha256-mismatch at its pin", async () => {
    const source = registryWithValidAdapter();
    source.set(
      "benchmarks/code/benchmark.jsonl",
      `${await text(source, "benchmarks/code/benchmark.jsonl")}\n`,
    );
    const report = await checkRegistry({ source });
    expect(registryErrors(report)).toMatchObject([
      { file: "registry.yaml", rule: "sha256-mismatch", field: "benchmarks.code.sha256" },
    ]);
  });
});

describe("folders where files belong", () => {
  const root = mkdtempSync(join(tmpdir(), "loragate-folders-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    [MANIFEST, "file-type", 0],
    [TRAIN, "file-type", 22],
    [BENCH, "file-type", 23],
  ])("%s as a folder: %s, on disk and in the app's in-memory source", async (path, rule, line) => {
    const memory = registryWithValidAdapter();
    const disk = join(root, path.replaceAll("/", "_"));
    for (const [file, data] of readTree(FIXTURE_ROOT))
      if (
        Buffer.isBuffer(data) &&
        (!file.startsWith("adapters/") || file.startsWith(`${DIR}/`)) &&
        file !== path
      ) {
        mkdirSync(join(disk, file, ".."), { recursive: true });
        writeFileSync(join(disk, file), data);
      }
    mkdirSync(join(disk, path, "inside"), { recursive: true });
    writeFileSync(join(disk, path, "inside", "x.jsonl"), "{}\n");
    memory.delete(path).set(`${path}/inside/x.jsonl`, Buffer.from("{}\n"));
    for (const source of [new FsRegistrySource(disk), memory]) {
      const report = await checkRegistry({ source, adapter: "math-gsm8k" });
      const adapter = report.adapters[0]!;
      expect(adapter.ok).toBe(false);
      expectFinding(adapter, { rule, file: MANIFEST, line });
    }
  });
});

describe("symlinks on disk", () => {
  const root = mkdtempSync(join(tmpdir(), "loragate-symlink-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("a dataset that is a symlink to a file outside: symlink, and the target is never read", async () => {
    const source = registryWithValidAdapter();
    mkdirSync(join(root, DIR, "training"), { recursive: true });
    mkdirSync(join(root, DIR, "eval"), { recursive: true });
    for (const path of ["registry.yaml", MANIFEST, BENCH, `${DIR}/TRAINING_LOG.md`]) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      (await import("node:fs")).writeFileSync(join(root, path), await source.read(path));
    }
    symlinkSync("/etc/hostname", join(root, TRAIN));
    const report = await checkRegistry({ source: new FsRegistrySource(root), adapter: "math-gsm8k" });
    const adapter = report.adapters[0]!;
    expectFinding(adapter, { rule: "symlink", file: TRAIN, line: 0 });
    expect(adapter.stats.train).toBeUndefined();
  });
});
