/**
 * The tokenizer check before training (src/action/prompt-sample.ts): every prompt of the evaluation framed
 * by the GGUF, on a vocabulary-only load, against the same with the whole model loaded (what it did before).
 * Each side runs in its own process, alternating, 3 rounds; medians of in-process time and peak RSS.
 *   npx tsx benchmarks/tokenizer-check.ts        writes benchmarks/results/tokenizer-check.json
 * The base is the tiny Qwen3 (real tokenizer, 150k vocabulary, ~25 MB GGUF): a real base's weights are
 * gigabytes, so the full load's cost there is larger than here; the vocabulary's is the same.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchmarkMessages } from "../src/core/evaluation/prompt.ts";
import { BenchmarkItemSchema } from "../src/core/schemas/records.ts";
import { EvaluationHarness } from "../src/eval/harness.ts";
import { writeFamilyBase } from "../test/support/families.ts";

const ITEMS = 1319; // GSM8K's test split
const ROUNDS = 3;

async function measure(gguf: string, vocabOnly: boolean): Promise<void> {
  const items = Array.from({ length: ITEMS }, (_, i) =>
    BenchmarkItemSchema.parse({
      id: `q${i}`,
      instruction: `A shop sells ${i % 97} pens at ${(i * 7) % 13} dollars each. How much do they cost in total?`,
      input: "",
      expected_output: String((i % 97) * ((i * 7) % 13)),
    }),
  );
  const started = performance.now();
  const harness = await EvaluationHarness.open({ basePath: gguf, gpu: false, vocabOnly });
  let tokens = 0;
  for (const item of items) tokens += harness.renderChat(benchmarkMessages(item, false)).tokens.length;
  await harness.dispose();
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ seconds, peakRssMB: process.resourceUsage().maxRSS / 1024, tokens }));
}

async function main(): Promise<void> {
  const [mode, gguf] = process.argv.slice(2);
  if (mode) return measure(gguf!, mode === "vocab");
  const dir = mkdtempSync(join(tmpdir(), "loragate-bench-tokenizer-"));
  try {
    const { gguf: base } = writeFamilyBase("qwen3", dir);
    const runs: Record<string, { seconds: number; peakRssMB: number; tokens: number }[]> = {
      vocab: [],
      full: [],
    };
    for (let round = 0; round < ROUNDS; round++)
      for (const side of round % 2 ? ["full", "vocab"] : ["vocab", "full"]) {
        const out = execFileSync(process.execPath, ["--import", "tsx", import.meta.filename, side, base], {
          encoding: "utf8",
        });
        runs[side]!.push(JSON.parse(out.trim().split("\n").at(-1)!));
      }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const summary = (side: string) => ({
      seconds: median(runs[side]!.map((r) => r.seconds)),
      peak_rss_mb: median(runs[side]!.map((r) => r.peakRssMB)),
      runs: runs[side],
    });
    const vocab = summary("vocab");
    const full = summary("full");
    if (runs.vocab![0]!.tokens !== runs.full![0]!.tokens)
      throw new Error("the two loads framed the prompts differently");
    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "CPU"} (CPU figures)`,
      prompts: ITEMS,
      vocabulary_only: vocab,
      whole_model: full,
      time_ratio: Math.round((full.seconds / vocab.seconds) * 100) / 100,
      memory_ratio: Math.round((full.peak_rss_mb / vocab.peak_rss_mb) * 100) / 100,
    };
    mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
    writeFileSync(
      join(import.meta.dirname, "results", "tokenizer-check.json"),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    console.log(
      JSON.stringify(
        {
          ...result,
          vocabulary_only: { ...vocab, runs: undefined },
          whole_model: { ...full, runs: undefined },
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
