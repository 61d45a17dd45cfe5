import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateDataset } from "../src/core/dataset/validate-dataset.ts";
import { FindingSink } from "../src/core/findings/findings.ts";
import { validateDatasetInParallel } from "../src/core/dataset/parallel-dataset.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-parallel-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A training file with problems everywhere, including duplicates on both sides of any split. */
function messyDataset(): string {
  const lines = readFileSync(join(FIXTURE_ROOT, "adapters/math-gsm8k/training/dataset.jsonl"), "utf8")
    .trim()
    .split("\n");
  const out = [...lines, ...lines.slice(0, 30), ...lines.slice(100, 110)];
  out[5] = `${out[5]} trailing`;
  out[300] = '{"instruction": "x", "input": 3, "output": "y"}';
  out[400] = JSON.stringify({ instruction: "x", input: "", output: "" });
  out.splice(450, 0, out[20]!); // a repeat inside what will be the middle range
  return `${out.join("\r\n")}\r\n`;
}

/** The same file validated in one pass and by `threads` workers: both sinks and both stats. */
async function bothWays(kind: "train" | "benchmark", text: string, name: string, threads: number) {
  const path = join(dir, name);
  writeFileSync(path, text);
  const file = `adapters/x/${name}`;
  const sequential = new FindingSink(1000);
  const s1 = await validateDataset({
    kind,
    file,
    chunks: [Buffer.from(text)] as never,
    maxLineBytes: 1 << 20,
    sink: sequential,
  });
  const parallel = new FindingSink(1000);
  const s2 = await validateDatasetInParallel({
    kind,
    file,
    path,
    size: Buffer.byteLength(text),
    maxLineBytes: 1 << 20,
    sink: parallel,
    threads,
  });
  return { sequential: sequential.finish(), parallel: parallel.finish(), s1, s2 };
}

describe("validateDatasetInParallel", () => {
  it.each([2, 3, 4])(
    "finds exactly what the single-threaded validator finds, with %i workers",
    async (threads) => {
      const {
        sequential: seq,
        parallel,
        s1,
        s2,
      } = await bothWays("train", messyDataset(), `train-${threads}.jsonl`, threads);
      expect(s2).toEqual(s1);
      expect(parallel).toEqual(seq);
      expect(seq.filter((f) => f.rule === "duplicate-example")).toHaveLength(40); // 30 + 10 copied at the end, less the one whose original was broken, + 1 spliced in
      expect(seq.map((f) => f.rule)).toEqual(
        expect.arrayContaining(["jsonl-syntax", "wrong-type", "empty-output", "crlf-line-endings"]),
      );
    },
  );

  it.each([
    ["a blank first line", ""],
    // a line one pass refuses (a forbidden key) sets no form, though its keys name one
    ["a first line with a forbidden key", '{"__proto__": {}, "conversations": []}'],
  ])(
    "holds every worker's lines to the file's first form (mixed-forms), as one pass does: %s",
    async (_, head) => {
      const lines = readFileSync(join(FIXTURE_ROOT, "adapters/math-gsm8k/training/dataset.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, string>);
      // messages, but for 15 ShareGPT lines around the middle, where the second worker starts: it must
      // judge its lines by the file's first form, not by its own first line
      const chat = lines.map((r, i) => {
        const user = r.input ? `${r.instruction}\n\n${r.input}` : r.instruction;
        return i < 250 || i >= 265
          ? {
              messages: [
                { role: "user", content: user },
                { role: "assistant", content: r.output },
              ],
            }
          : {
              conversations: [
                { from: "human", value: user },
                { from: "gpt", value: r.output },
              ],
            };
      });
      const text = `${head}\n${chat.map((l) => JSON.stringify(l)).join("\n")}\n`;
      const { sequential, parallel, s1, s2 } = await bothWays("train", text, "mixed.jsonl", 2);
      expect(parallel).toEqual(sequential);
      expect(s2).toEqual(s1);
      const mixed = sequential.filter((f) => f.rule === "mixed-forms");
      expect(mixed.map((f) => f.line)).toEqual(Array.from({ length: 15 }, (_, i) => 252 + i));
      expect(mixed[0]!.message).toContain('line 2 in the OpenAI "messages" form');
    },
  );

  it("finds a benchmark id used again in another worker's range, as one pass does", async () => {
    const items = readFileSync(join(FIXTURE_ROOT, "adapters/math-gsm8k/eval/benchmark.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const lines = Array.from({ length: 40 }, (_, copy) =>
      items.map((item) =>
        JSON.stringify({ ...item, id: `${item.id}-${copy}`, input: `${item.input} #${copy}` }),
      ),
    ).flat();
    lines.push(JSON.stringify({ ...items[0], id: "q-0001-0", input: "a new question" })); // id repeats line 1
    lines.push(lines[5]!); // a whole copy: reported once, by its id
    lines.splice(1200, 0, JSON.stringify({ ...items[1], id: "q-0002-39", input: "another" })); // id from later
    const text = `${lines.join("\n")}\n`;
    const { sequential: seq, parallel, s1, s2 } = await bothWays("benchmark", text, "benchmark.jsonl", 4);
    expect(seq.map((f) => `${f.line} ${f.rule} ${f.message}`)).toEqual([
      '2343 duplicate-id id "q-0002-39" is already used on line 1201',
      '2402 duplicate-id id "q-0001-0" is already used on line 1',
      '2403 duplicate-id id "q-0006-0" is already used on line 6',
    ]);
    expect(parallel).toEqual(seq);
    expect(s2).toEqual(s1);
  });
});
