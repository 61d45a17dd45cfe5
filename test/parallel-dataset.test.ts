import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateDataset } from "../src/core/dataset.ts";
import { FindingSink } from "../src/core/findings.ts";
import { validateDatasetInParallel } from "../src/core/parallel-dataset.ts";
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

describe("validateDatasetInParallel", () => {
  it.each([2, 3, 4])(
    "finds exactly what the single-threaded validator finds, with %i workers",
    async (threads) => {
      const path = join(dir, `train-${threads}.jsonl`);
      const text = messyDataset();
      writeFileSync(path, text);
      const file = "adapters/x/training/dataset.jsonl";

      const sequential = new FindingSink(1000);
      const s1 = await validateDataset({
        kind: "train",
        file,
        chunks: [Buffer.from(text)] as never,
        maxLineBytes: 1 << 20,
        sink: sequential,
      });
      const parallel = new FindingSink(1000);
      const s2 = await validateDatasetInParallel({
        kind: "train",
        file,
        path,
        size: Buffer.byteLength(text),
        maxLineBytes: 1 << 20,
        sink: parallel,
        threads,
      });

      expect(s2).toEqual(s1);
      const seq = sequential.finish();
      expect(parallel.finish()).toEqual(seq);
      expect(seq.filter((f) => f.rule === "duplicate-example")).toHaveLength(40); // 30 + 10 copied at the end, less the one whose original was broken, + 1 spliced in
      expect(seq.map((f) => f.rule)).toEqual(
        expect.arrayContaining(["jsonl-syntax", "wrong-type", "empty-output", "crlf-line-endings"]),
      );
    },
  );
});
