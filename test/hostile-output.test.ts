/**
 * Keys and names that hold terminal controls (issue 27, item 15): ESC, C1 controls (0x9b is a one-byte
 * CSI), DEL and bidirectional overrides are written as \uXXXX escapes in check's text output and in
 * IMPORT_REPORT.md, never raw.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeLocoLLMFixture } from "../fixtures/locollm.ts";
import { sampleResults } from "../fixtures/sample-results.ts";
import { printable, withoutControls } from "../src/core/text.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";
import { scratchFolder } from "./support/scratch.ts";
import { cli } from "./support/cli.ts";

const dir = scratchFolder("hostile-output");
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const HOSTILE_KEYS: [string, string, string][] = [
  ["ESC and a screen clear", "x\u001b[2Jy", "x\\u001b[2Jy"],
  ["a C1 CSI", "x\u009b31my", "x\\u009b31my"],
  ["DEL", "x\u007fy", "x\\u007fy"],
  ["a right-to-left override", "x\u202ey", "x\\u202ey"],
  ["a line separator", "x\u2028y", "x\\u2028y"],
  ["a C1 NEL", "x\u0085y", "x\\u0085y"],
];

describe("check's text output: a dataset key with controls is escaped, in the field and the message", () => {
  it.each(HOSTILE_KEYS)("%s", async (_name, key, shown) => {
    const root = join(dir, `registry-${key.codePointAt(1)}`);
    cpSync(FIXTURE_ROOT, root, { recursive: true, verbatimSymlinks: true });
    const train = join(root, "adapters/math-gsm8k/training/dataset.jsonl");
    const lines = readFileSync(train, "utf8").split("\n");
    lines[2] = JSON.stringify({ ...JSON.parse(lines[2]!), [key]: 1 });
    writeFileSync(train, lines.join("\n"));
    const run = await cli("check", root, "--adapter", "math-gsm8k");
    expect(run.stdout).not.toMatch(RAW);
    expect(run.stdout).toContain(`${shown}: unknown key "${shown}"`);
  });
});

describe("IMPORT_REPORT.md: a LocoLLM adapter name with controls is escaped", () => {
  it("ESC, C1, DEL and a bidi override in a skipped adapter's name", async () => {
    const loco = join(dir, "loco");
    writeLocoLLMFixture(loco);
    const index = join(loco, "adapters/registry.yaml");
    writeFileSync(
      index,
      readFileSync(index, "utf8").replace("  code:\n", '  "co\\e[2J\\x9b\\x7f\\u202ede":\n'),
    );
    const run = await cli("import", "locollm", loco, "--out", join(dir, "imported"));
    expect(run.code).toBe(0);
    const report = readFileSync(join(dir, "imported/IMPORT_REPORT.md"), "utf8");
    expect(report).toContain('adapter "co\\u001b[2J\\u009b\\u007f\\u202ede" skipped');
    expect(report).not.toMatch(RAW);
    expect(run.stdout + run.stderr).not.toMatch(RAW);
  });
});

describe("printable and withoutControls", () => {
  it.each([
    ["C0, DEL and C1", "\u0000\u001f\u007f\u0080\u009f", "\\u0000\\u001f\\u007f\\u0080\\u009f"],
    ["bidi isolates and marks", "\u2066\u2069\u200e\u200f\u061c", "\\u2066\\u2069\\u200e\\u200f\\u061c"],
    ["text a reader sees, kept", "café ✓ 数学", "café ✓ 数学"],
  ])("%s", (_name, text, shown) => {
    expect(withoutControls(text)).toBe(shown);
  });

  it("printable caps after escaping and keeps JSON's escapes", () => {
    expect(printable('a"b\n\u009b')).toBe('a\\"b\\n\\u009b');
    expect(printable("\u007f".repeat(100), 10)).toBe("\\u007f\\u0…");
  });
});

describe("every output a person or GitHub renders escapes controls (issue 35, item 8)", () => {
  it.each(HOSTILE_KEYS)(
    "check --format json: %s as \\u escapes, the same value once parsed",
    async (_name, key) => {
      const root = join(dir, `json-${key.codePointAt(1)}`);
      cpSync(FIXTURE_ROOT, root, { recursive: true, verbatimSymlinks: true });
      const train = join(root, "adapters/math-gsm8k/training/dataset.jsonl");
      const lines = readFileSync(train, "utf8").split("\n");
      lines[2] = JSON.stringify({ ...JSON.parse(lines[2]!), [key]: 1 });
      writeFileSync(train, lines.join("\n"));
      const run = await cli("check", root, "--adapter", "math-gsm8k", "--format", "json");
      expect(run.stdout).not.toMatch(RAW);
      expect(run.stdout).not.toMatch(/[\u0085\u2028]/);
      const findings = JSON.parse(run.stdout).adapters[0].findings as { field: string }[];
      expect(findings.map((f) => f.field)).toContain(key);
    },
  );

  it("scorecard --format markdown and text: a results field with a bidi override and ESC", async () => {
    const file = join(dir, "results-controls.json");
    writeFileSync(file, JSON.stringify({ ...sampleResults(), hardware: "GPU \u202eevil\u001b[2J" }));
    for (const format of ["markdown", "text"]) {
      const run = await cli("scorecard", file, "--format", format);
      if (format === "markdown") expect(run.stdout).toContain("GPU \\u202eevil\\u001b");
      expect(run.stdout).not.toMatch(RAW);
    }
  });

  it("pin-base: a path with controls is escaped in its error", async () => {
    const registry = join(dir, "pin-registry");
    expect((await cli("init", registry)).code).toBe(0);
    const run = await cli(
      "pin-base",
      "--gguf",
      join(dir, "x\u001b[2J\u202e.gguf"),
      "--hf-base",
      dir,
      registry,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("x\\u001b[2J\\u202e.gguf");
    expect(run.stderr).not.toMatch(RAW);
  });

  it("IMPORT_REPORT.md: a base name with a line feed and a heading stays on its line", async () => {
    const loco = join(dir, "loco-heading");
    writeLocoLLMFixture(loco);
    const index = join(loco, "adapters/registry.yaml");
    // two training bases: the report names both in a note, as LocoLLM wrote them
    const text = readFileSync(index, "utf8");
    const at = text.lastIndexOf("base_model: loragate/tiny-llama-fixture");
    writeFileSync(
      index,
      `${text.slice(0, at)}base_model: "other\\n# Injected heading"${text.slice(at + 39)}`,
    );
    const run = await cli("import", "locollm", loco, "--out", join(dir, "imported-heading"));
    expect(run.code).toBe(0);
    const report = readFileSync(join(dir, "imported-heading/IMPORT_REPORT.md"), "utf8");
    expect(report).toContain("Injected heading");
    expect(report).not.toMatch(/^# Injected/m);
  });
});

describe("import: a LocoLLM version as written, and one that is no version (issue 35, item 11)", () => {
  /** The fixture with its first adapter's `version: 0.2.0` line replaced by `version`. */
  async function importWith(version: string, name: string) {
    const loco = join(dir, `loco-${name}`);
    writeLocoLLMFixture(loco);
    const index = join(loco, "adapters/registry.yaml");
    writeFileSync(index, readFileSync(index, "utf8").replace("version: 0.2.0", version));
    const out = join(dir, `imported-${name}`);
    const run = await cli("import", "locollm", loco, "--out", out);
    return { run, out };
  }

  it("version: 0.10 is 0.10.0, not 0.1.0", async () => {
    const { run, out } = await importWith("version: 0.10", "v010");
    expect(run.code).toBe(0);
    expect(readFileSync(join(out, "adapters/math/adapter.yaml"), "utf8")).toMatch(/^version: 0\.10\.0$/m);
    expect(readFileSync(join(out, "registry.yaml"), "utf8")).toMatch(/^ {4}version: 0\.10\.0$/m);
  });

  it("a version written as a map is that adapter's TODO; the import goes on", async () => {
    const { run, out } = await importWith("version: {major: 1}", "vmap");
    expect(run.code).toBe(0);
    const report = readFileSync(join(out, "IMPORT_REPORT.md"), "utf8");
    expect(report).toMatch(
      /version: 0\.1\.0 was set by the import \(LocoLLM's index gives version \{\\"major\\":1\}, not a semantic version/,
    );
  });
});
