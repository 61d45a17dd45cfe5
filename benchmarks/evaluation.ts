/**
 * The evaluation harness on this CPU: parallel sequences of one context vs one item at a time (same
 * items, same outputs required), and the time to switch adapters on a loaded base.
 * The model is generated (n_embd 512, 8 layers) so that its weights outgrow the caches, as a real
 * base does, and batching has something to save. Two weight types: F32, where llama.cpp multiplies a
 * batch with another kernel than a single token (llamafile's tinyBLAS, from 2 rows on), and Q4_1, which
 * has no batched kernel on x86, so one token and a batch go through the same dot products.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tinyLlamaGguf, tinyLoraGguf, type TinyLlamaShape } from "../src/core/gguf/tiny-llama.ts";
import { benchmarkPrompt } from "../src/core/evaluation/prompt.ts";
import type { Token } from "node-llama-cpp";
import { EvaluationHarness } from "../src/eval/harness.ts";

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
  const benchmark = join(
    import.meta.dirname,
    "..",
    "fixtures",
    "registry",
    "benchmarks",
    "math",
    "benchmark.jsonl",
  );
  const items = readFileSync(benchmark, "utf8")
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
      results[name] = await compare(harness, name, prompts);
    // Switching adapters = a context with the other adapter applied (llama.cpp keeps each loaded
    // adapter with the model, so only the first use reads the file).
    const switches: number[] = [];
    for (let i = 0; i < 12; i++) {
      const start = performance.now();
      const context = await harness.createContext({
        adapterPath: adapters[i % 2],
        parallel: 1,
        tokensPerSequence: 256,
      });
      switches.push(performance.now() - start);
      await context.dispose();
    }
    const warm = switches.slice(2).sort((a, b) => a - b);
    const ceiling = { F32: await decodeCeiling(harness) };
    const q41 = await EvaluationHarness.open({ basePath: q41Path });
    try {
      results.shortQuestionsQ4_1 = await compare(q41, "short questions, Q4_1", workloads.shortQuestions);
      Object.assign(ceiling, { Q4_1: await decodeCeiling(q41) });
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
        median: warm[Math.floor(warm.length / 2)],
        max: warm.at(-1),
        goal: 5,
      },
    };
  } finally {
    await harness.dispose();
  }
}

/**
 * What batching can save at most on this machine, with llama.cpp alone (no sampling, no harness):
 * ms per token decoding one token at a time vs 64 tokens in one batch, in one sequence.
 */
async function decodeCeiling(harness: EvaluationHarness) {
  const context = await harness.createContext({ parallel: 1, tokensPerSequence: 1024 });
  try {
    const sequence = context.getSequence();
    const token = (i: number) => (300 + ((i * 37) % 500)) as Token;
    const msPerToken = async (batch: number, batches: number) => {
      await sequence.clearHistory();
      await sequence.evaluateWithoutGeneratingNewTokens([1, 300, 301] as Token[]);
      const start = performance.now();
      for (let b = 0; b < batches; b++)
        await sequence.evaluateWithoutGeneratingNewTokens(
          Array.from({ length: batch }, (_, i) => token(b * batch + i)),
        );
      return (performance.now() - start) / (batch * batches);
    };
    const single = await msPerToken(1, 64);
    const batched = await msPerToken(64, 4);
    return { singleMsPerToken: single, batchOf64MsPerToken: batched, ratio: single / batched };
  } finally {
    await context.dispose();
  }
}

interface Run {
  parallel: number;
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
async function compare(harness: EvaluationHarness, name: string, prompts: string[]) {
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
