/**
 * Dataset lines built to cost time (issue 27, item 2): findings for a line cost time linear in the
 * line, whatever it holds; and the columns they point at stay where the keys are.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { columnOf, unknownKeyFindings } from "../src/core/dataset/line-rules.ts";
import { validateDataset } from "../src/core/dataset/validate-dataset.ts";
import { FindingSink } from "../src/core/findings/findings.ts";
import { scaled } from "./support/load.ts";

async function validateLines(kind: "train" | "benchmark", text: string) {
  const sink = new FindingSink();
  const started = performance.now();
  const stats = await validateDataset({
    kind,
    file: "d.jsonl",
    chunks: Readable.from([Buffer.from(text)]),
    maxLineBytes: 4 << 20,
    sink,
  });
  return { stats, findings: sink.finish(), ms: performance.now() - started };
}

/** One training line of `keys` unknown keys after its three fields (0.98 MB at 90,000). */
function manyKeysLine(keys: number, name = (i: number) => `k${i}`): string {
  const parts = ['"instruction":"a","input":"","output":"b"'];
  for (let i = 0; i < keys; i++) parts.push(`${JSON.stringify(name(i))}:0`);
  return `{${parts.join(",")}}`;
}

describe("a line of many unknown keys costs its length, not its length per key (item 2)", () => {
  it("90,000 unknown keys in a 0.98 MB line: well under the 20 s the rescans took, 20 named and the rest counted", async () => {
    const { stats, findings, ms } = await validateLines("train", `${manyKeysLine(90_000)}\n`);
    expect(ms).toBeLessThan(scaled(8000)); // a correctness bound (was 20-48 s): no stall of the app's event loop
    expect(stats.records).toBe(1);
    const unknown = findings.filter((f) => f.rule === "unknown-key");
    expect(unknown.filter((f) => f.line === 1)).toHaveLength(20);
    expect(unknown.find((f) => f.line === 0)?.message).toBe(
      '89980 more "unknown-key" findings in this file were not listed (90000 in all)',
    );
  });

  it("the same keys over 100 lines: each line costs its own length, the count is whole", async () => {
    const line = manyKeysLine(900);
    const { findings, ms } = await validateLines("train", `${Array(100).fill(line).join("\n")}\n`);
    expect(ms).toBeLessThan(scaled(8000));
    expect(findings.find((f) => f.line === 0 && f.rule === "unknown-key")?.message).toContain(
      "(90000 in all)",
    );
  });

  it("long unknown keys near a known name: 20 searched for the name meant, not 5,000", () => {
    const value = JSON.parse(manyKeysLine(5000, (i) => `instructio${i}`)) as object;
    const { drafts, more } = unknownKeyFindings(value, "instruction", JSON.stringify(value), 3);
    expect(drafts).toHaveLength(20);
    expect(more).toBe(4980);
    expect(drafts[0]).toMatchObject({ line: 3, field: "instructio0", rule: "unknown-key" });
  });

  it("a line with fewer than 20 unknown keys lists each, none counted past it", () => {
    const value = { instruction: "a", input: "", output: "b", prompt: "x", extra: 1 };
    const { drafts, more } = unknownKeyFindings(value, "instruction", JSON.stringify(value), 1);
    expect(drafts.map((d) => d.field)).toEqual(["prompt", "extra"]);
    expect(drafts[0]!.message).toBe('unknown key "prompt" (did you mean "instruction"?)');
    expect(more).toBe(0);
  });
});

describe("columnOf: the column where a key is a key, found in one pass", () => {
  it.each([
    ["a top-level key", '{"a": 1, "id": 2}', "id", 10],
    ["a key also spelled as an earlier value", '{"x": "id", "id": 2}', "id", 13],
    ["a key inside an escaped-quote value", '{"x": "say \\"id\\": no", "id": 2}', "id", 25],
    ["a value ending in an escaped backslash", '{"x": "c:\\\\", "id": 2}', "id", 15],
    ["a nested key", '{"evaluation_config": {"pattern": "a+"}}', "pattern", 24],
    ["a key written with a unicode escape", '{"\\u0069d": 1}', "id", 2],
    ["a key after whitespace before its colon", '{"a" :1,\t"id"\t: 2}', "id", 10],
    ["a key that is not there", '{"a": 1}', "id", 1],
    ["a key asked about twice on different lines", '{"b": 1, "id": 2}', "id", 10],
  ])("%s", (_name, text, key, column) => {
    expect(columnOf(text, key)).toBe(column);
  });
});

describe("a file of failing lines: once a rule is listed in full, each further line is only counted (item 5)", () => {
  const syntaxLine = (i: number) => `{"instruction": "q ${i}", "input": "", "output": "a",}`;

  it("1,000 lines that are not JSON: 20 listed with their columns, the rest counted", async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => syntaxLine(i));
    const { findings } = await validateLines("train", `${lines.join("\n")}\n`);
    const listed = findings.filter((f) => f.rule === "jsonl-syntax" && f.line > 0);
    expect(listed).toHaveLength(20);
    expect(listed[0]).toMatchObject({ line: 1, column: expect.any(Number) });
    expect(findings.find((f) => f.rule === "jsonl-syntax" && f.line === 0)?.message).toBe(
      '980 more "jsonl-syntax" findings in this file were not listed (1000 in all)',
    );
  });

  it("NUL-byte lines are counted under their own rule once jsonl-syntax is full", async () => {
    const lines = [
      ...Array.from({ length: 30 }, (_, i) => syntaxLine(i)),
      ...Array.from({ length: 30 }, (_, i) => `{"instruction": "q\u0000${i}"`),
    ];
    const { findings } = await validateLines("train", `${lines.join("\n")}\n`);
    expect(findings.filter((f) => f.rule === "nul-byte" && f.line > 0)).toHaveLength(20);
    expect(findings.find((f) => f.rule === "nul-byte" && f.line === 0)?.message).toContain("(30 in all)");
    expect(findings.find((f) => f.rule === "jsonl-syntax" && f.line === 0)?.message).toContain("(30 in all)");
  });

  it("1,000 lines of 3 unknown keys each: every key counted, 20 named", async () => {
    const lines = Array.from({ length: 1000 }, (_, i) =>
      JSON.stringify({ instruction: `q ${i}`, input: "", output: "a", x: 1, y: 2, z: 3 }),
    );
    const { stats, findings } = await validateLines("train", `${lines.join("\n")}\n`);
    expect(stats.records).toBe(1000);
    expect(findings.filter((f) => f.rule === "unknown-key" && f.line > 0)).toHaveLength(20);
    expect(findings.find((f) => f.rule === "unknown-key" && f.line === 0)?.message).toContain(
      "(3000 in all)",
    );
  });

  it("the stack trace setting is the same after a file of bad lines as before", async () => {
    const before = Error.stackTraceLimit;
    await validateLines("train", `${syntaxLine(1)}\n{"a": 1}\n`);
    expect(Error.stackTraceLimit).toBe(before);
  });
});
