/**
 * Keys and names that hold terminal controls (issue 27, item 15): ESC, C1 controls (0x9b is a one-byte
 * CSI), DEL and bidirectional overrides are written as \uXXXX escapes in check's text output and in
 * IMPORT_REPORT.md, never raw.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeLocoLLMFixture } from "../fixtures/locollm.ts";
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
