import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateDataset } from "../src/core/dataset/validate-dataset.ts";
import { FindingSink } from "../src/core/findings/findings.ts";
import { streamLines } from "../src/core/dataset/jsonl.ts";
import { loadDocument } from "../src/core/registry/load-document.ts";
import { AdapterManifestSchema } from "../src/core/schemas/adapter.ts";
import { registryWithValidAdapter } from "./support/registry.ts";

const source = registryWithValidAdapter();
const manifest = Buffer.from(await source.read("adapters/math-gsm8k/adapter.yaml"));
const trainHead = Buffer.from(await source.read("adapters/math-gsm8k/training/dataset.jsonl")).subarray(
  0,
  4000,
);
const benchHead = Buffer.from(await source.read("adapters/math-gsm8k/eval/benchmark.jsonl")).subarray(
  0,
  4000,
);

async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % Math.max(1, sizes.length)] ?? bytes.length);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** Byte-level mutations of a valid file: flips, deletions, insertions of hostile bytes. */
const mutated = (base: Buffer) =>
  fc
    .array(
      fc.record({
        at: fc.nat(),
        op: fc.constantFrom("set", "delete", "insert"),
        byte: fc.constantFrom(
          0x00,
          0x0a,
          0x0d,
          0x22,
          0x5c,
          0x7b,
          0x7d,
          0x3a,
          0x2d,
          0x26,
          0x2a,
          0x80,
          0xc3,
          0xef,
          0xff,
          0x20,
        ),
      }),
      { maxLength: 8 },
    )
    .map((edits) => {
      const bytes = [...base];
      for (const e of edits) {
        const at = e.at % (bytes.length + 1);
        if (e.op === "set") bytes[at] = e.byte;
        else if (e.op === "delete") bytes.splice(at, 1);
        else bytes.splice(at, 0, e.byte);
      }
      return Uint8Array.from(bytes);
    });

const anyBytes = fc.uint8Array({ maxLength: 2000 });

describe("the validator never throws", () => {
  it("on random bytes or mutations of adapter.yaml", () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes, mutated(manifest)), (bytes) => {
        const result = loadDocument("adapter.yaml", bytes, AdapterManifestSchema);
        if (!result.ok) expect(result.findings.length).toBeGreaterThan(0);
      }),
      { numRuns: 2500 },
    );
  });

  it("on random bytes or mutations of a training set and a benchmark, in any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyBytes, mutated(trainHead), mutated(benchHead)),
        fc.constantFrom("train" as const, "benchmark" as const),
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 5 }),
        async (bytes, kind, sizes) => {
          const sink = new FindingSink();
          const stats = await validateDataset({
            kind,
            file: "x.jsonl",
            chunks: chunked(bytes, sizes),
            maxLineBytes: 512,
            sink,
          });
          expect(stats.bytes).toBe(bytes.length);
          for (const f of sink.finish()) expect(f.line).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 2500 },
    );
  });
});

describe("the line splitter", () => {
  it("yields the same lines and problems however the stream is chunked", async () => {
    const run = async (bytes: Uint8Array, sizes: number[]) => {
      const events: string[] = [];
      await streamLines(chunked(bytes, sizes), 64, true, {
        line: (text, n) => events.push(`${n}:${text}`),
        problem: (p) => events.push(JSON.stringify(p)),
      });
      return events;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated(trainHead.subarray(0, 600))),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 6 }),
        async (bytes, sizes) => {
          expect(await run(bytes, sizes)).toEqual(await run(bytes, [bytes.length + 1]));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a 64 MB line in 64 KiB chunks is joined once (re-joining per chunk took its length squared)", async () => {
    const line = Buffer.alloc(64 << 20, 0x61);
    const lines: number[] = [];
    const stats = await streamLines(
      chunked(Buffer.concat([line, Buffer.from("\nb\n")]), [64 << 10]),
      128 << 20,
      true,
      {
        line: (text) => lines.push(text.length),
        problem: (p) => lines.push(-1 * JSON.stringify(p).length),
      },
    );
    expect(lines).toEqual([64 << 20, 1]);
    expect(stats.lines).toBe(2);
  }, 15_000); // linear: well under a second; squared: 41 s here
});
