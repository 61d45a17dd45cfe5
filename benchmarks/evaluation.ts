/**
 * The evaluation harness on this CPU: parallel sequences of one context vs one item at a time (same
 * items, same outputs required), and the time to switch adapters on a loaded base.
 * The model is generated (n_embd 512, 8 layers) so that its weights outgrow the caches, as a real
 * base does, and batching has something to save. Two weight types: F32, where llama.cpp multiplies a
 * batch with another kernel than a single token (llamafile's tinyBLAS, from 2 rows on), and Q4_1, which
 * has no batched kernel on x86, so one token and a batch go through the same dot products.
 * Each run uses the threads the harness picks for it (threadsFor): on 2 cores, one for one item at a
 * time and both for 32 sequences of this model.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tinyLlamaGguf, tinyLoraGguf, type TinyLlamaShape } from "../src/gguf/tiny-llama.ts";
import { benchmarkPrompt } from "../src/core/evaluation/prompt.ts";
import type { Token } from "node-llama-cpp";
import { EvaluationHarness, threadsFor } from "../src/eval/harness.ts";
import type { Figure } from "./figures.ts";

const SHAPE: TinyLlamaShape = {
  embedding: 512,
  layers: 8,
  heads: 8,
  kvHeads: 8,
  feedForward: 1536,
  contextLength: 2048,
};
// The random model never stops early, so every answer uses the whole budget: 256 tokens, half of
// LocoLLM's 512, to keep the one-at-a-time run near two minutes on 2 cores.
const ITEMS = 32;
const MAX_TOKENS = 256;
const FIXTURE_BENCHMARK = join(
  import.meta.dirname,
  "..",
  "fixtures",
  "registry",
  "benchmarks",
  "math",
  "benchmark.jsonl",
);

export async function benchEvaluation(): Promise<Record<string, unknown>> {
  const dir = join(import.meta.dirname, ".data", "evaluation");
  mkdirSync(dir, { recursive: true });
  const basePath = join(dir, "base-f32-512x8.gguf");
  writeFileSync(basePath, tinyLlamaGguf({ shape: SHAPE, weights: "F32" }));
  const q41Path = join(dir, "base-q4_1-512x8.gguf");
  writeFileSync(q41Path, tinyLlamaGguf({ shape: SHAPE, weights: "Q4_1" }));
  const adapters = [1, 2].map((seed) => {
    const path = join(dir, `lora-${seed}.gguf`);
    writeFileSync(path, tinyLoraGguf({ shape: SHAPE, seed }));
    return path;
  });
  const items = readFileSync(FIXTURE_BENCHMARK, "utf8")
    .trim()
    .split("\n")
    .slice(0, ITEMS)
    .map((line) => JSON.parse(line) as { instruction: string; input: string });
  // Two workloads: the benchmark as the gate runs it (RE2: ~480-token prompts on this vocabulary, so
  // attention over long contexts weighs in), and short questions, where decoding dominates.
  const workloads = {
    benchmark: items.map((item) => benchmarkPrompt(item, true)),
    shortQuestions: items.map((item, i) => `${item.instruction} (${i + 1})`),
  };

  const harness = await EvaluationHarness.open({ basePath });
  try {
    const results: Record<string, ReturnType<typeof summarize>> = {};
    for (const [name, prompts] of Object.entries(workloads))
      results[name] = await compare(harness, basePath, name, prompts);
    // Switching adapters = a context with the other adapter applied (llama.cpp keeps each loaded
    // adapter with the model, so only the first use reads the file). Beside it, the same context
    // without an adapter: what any new context costs.
    const contextMs = async (adapterPath?: string) => {
      const start = performance.now();
      const context = await harness.createContext({ adapterPath, parallel: 1, tokensPerSequence: 256 });
      const ms = performance.now() - start;
      await context.dispose();
      return ms;
    };
    const switches: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < 22; i++) {
      switches.push(await contextMs(adapters[i % 2]));
      plain.push(await contextMs());
    }
    const warm = switches.slice(2).sort((a, b) => a - b);
    const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)];
    const ceiling = { F32: await decodeCeiling(basePath) };
    const q41 = await EvaluationHarness.open({ basePath: q41Path });
    try {
      results.shortQuestionsQ4_1 = await compare(
        q41,
        q41Path,
        "short questions, Q4_1",
        workloads.shortQuestions,
      );
      Object.assign(ceiling, { Q4_1: await decodeCeiling(q41Path) });
    } finally {
      await q41.dispose();
    }
    return {
      model: { ...SHAPE, weights: "F32 (and Q4_1 where named)", items: ITEMS, maxTokens: MAX_TOKENS },
      harness: "flash attention; parallel items step in lockstep, new prompts decoded alone",
      ...results,
      decodeCeiling: ceiling,
      goalSpeedup: 4,
      adapterSwitchMs: {
        firstLoad: switches[0],
        median: median(warm),
        max: warm.at(-1),
        newContextWithoutAdapterMedian: median(plain.slice(2)),
        goal: 5,
      },
    };
  } finally {
    await harness.dispose();
  }
}

/**
 * The quick mode's figure: 8 short questions of 32 tokens on the F32 model, 8 parallel sequences
 * against one at a time (the full run's 32 x 256 in a small part of the time).
 */
export async function quickEvaluation(): Promise<Figure[]> {
  const dir = join(import.meta.dirname, ".data", "evaluation");
  mkdirSync(dir, { recursive: true });
  const basePath = join(dir, "base-f32-512x8.gguf");
  writeFileSync(basePath, tinyLlamaGguf({ shape: SHAPE, weights: "F32" }));
  const prompts = readFileSync(FIXTURE_BENCHMARK, "utf8")
    .trim()
    .split("\n")
    .slice(0, 8)
    .map((line, i) => `${(JSON.parse(line) as { instruction: string }).instruction} (${i + 1})`);
  // One thread for both sides: what batching saves in the kernels, apart from a second core that a
  // loaded machine may not give (there 8 sequences on two threads ran 5x slower than one on one).
  const harness = await EvaluationHarness.open({ basePath, threads: 1 });
  try {
    const seconds = async (parallel: number) => {
      const start = performance.now();
      await harness.generate(prompts, { maxTokens: 32, seed: 42, parallel });
      return (performance.now() - start) / 1000;
    };
    // the median of three rounds, each one at a time then 8 sequences back to back
    const ratios: number[] = [];
    for (let round = 0; round < 3; round++) ratios.push((await seconds(1)) / (await seconds(8)));
    return [
      {
        name: "evaluation.parallel_speedup",
        what: "the harness, 8 short questions x 32 tokens on the generated F32 model, one thread: 8 parallel sequences vs one at a time (median of 3 rounds)",
        value: [...ratios].sort((x, y) => x - y)[1]!,
        rounds: ratios,
        better: "higher",
      },
    ];
  } finally {
    await harness.dispose();
  }
}

/**
 * What batching can save at most on this machine, with llama.cpp alone (no sampling, no harness):
 * ms per token decoding one token at a time vs 64 tokens in one batch, in one sequence, each with the
 * threads the harness would use (one item at a time; 32 parallel sequences).
 */
async function decodeCeiling(basePath: string) {
  const msPerToken = async (batch: number, batches: number, threadsAsFor: number) => {
    const threads = threadsFor(threadsAsFor, statSync(basePath).size);
    const measuring = await EvaluationHarness.open({ basePath, threads });
    const context = await measuring.createContext({ parallel: 1, tokensPerSequence: 1024 });
    try {
      const sequence = context.getSequence();
      const token = (i: number) => (300 + ((i * 37) % 500)) as Token;
      await sequence.evaluateWithoutGeneratingNewTokens([1, 300, 301] as Token[]);
      const start = performance.now();
      for (let b = 0; b < batches; b++)
        await sequence.evaluateWithoutGeneratingNewTokens(
          Array.from({ length: batch }, (_, i) => token(b * batch + i)),
        );
      return { threads, ms: (performance.now() - start) / (batch * batches) };
    } finally {
      await context.dispose();
      await measuring.dispose();
    }
  };
  const single = await msPerToken(1, 64, 1);
  const batched = await msPerToken(64, 4, 32);
  return {
    singleMsPerToken: single.ms,
    batchOf64MsPerToken: batched.ms,
    threads: { single: single.threads, batched: batched.threads },
    ratio: single.ms / batched.ms,
  };
}

interface Run {
  parallel: number;
  /** As the harness picks them for this model and parallelism. */
  threads: number;
  seconds: number;
  itemsPerSecond: number;
  /** Answers equal to the one-at-a-time run's: batched decoding is not bit-identical. */
  sameAnswers: string;
}

const summarize = (runs: Run[]) => ({
  runs,
  speedup: Math.max(...runs.map((r) => r.itemsPerSecond)) / runs[0]!.itemsPerSecond,
});

/** The same prompts one at a time, then in 8 and 32 parallel sequences. */
async function compare(harness: EvaluationHarness, basePath: string, name: string, prompts: string[]) {
  const runs: Run[] = [];
  let sequential: string[] = [];
  for (const parallel of [1, 8, 32]) {
    const start = performance.now();
    const outputs = await harness.generate(prompts, { maxTokens: MAX_TOKENS, seed: 42, parallel });
    const seconds = (performance.now() - start) / 1000;
    const texts = outputs.map((o) => o.text);
    if (parallel === 1) sequential = texts;
    const same = texts.filter((text, i) => text === sequential[i]).length;
    runs.push({
      parallel,
      threads: threadsFor(parallel, statSync(basePath).size),
      seconds,
      itemsPerSecond: prompts.length / seconds,
      sameAnswers: `${same}/${prompts.length}`,
    });
    console.error(
      `${name}, parallel ${parallel}: ${seconds.toFixed(2)} s, ${(prompts.length / seconds).toFixed(2)} items/s`,
    );
  }
  return summarize(runs);
}
