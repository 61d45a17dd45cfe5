/**
 * One evaluation: every benchmark item answered by the base alone and by base + adapter, in one
 * batch per model so that parallel sequences stay full, then scored into per-item paired outcomes
 * (results.json's benchmarks). Verdicts and scorecards are the core's business, from these outcomes.
 */
import type { ApplicableBenchmark } from "../core/contamination/benchmarks-for.ts";
import { HARNESS_VERSION } from "../core/evaluation/completeness.ts";
import { answerAfterThinking, benchmarkMessages, type ChatMessage } from "../core/evaluation/prompt.ts";
import { loadPythonSyntax } from "../core/evaluation/python-syntax.ts";
import { scoreAnswer } from "../core/evaluation/scoring.ts";
import type { BenchmarkResult, Results } from "../core/schemas/results.ts";
import { type Thinking, ThinkingSchema } from "../core/schemas/registry.ts";
import { type BaseAnswerStore, type BaseAnswerUse, keyDigest, tallySince } from "./base-answers.ts";
import type { EvaluationHarness, GenerateOptions, Generation } from "./harness.ts";

export interface EvaluationSettings {
  /** Token budget of a benchmark that sets none (the adapter's, for its own). */
  maxTokens: number;
  seed: number;
  re2: boolean;
  parallel: number;
  /** registry.yaml base.thinking (off, scored after "</think>", unless given). */
  thinking?: Thinking;
}

const thinkingOf = (settings: EvaluationSettings): Thinking =>
  settings.thinking ?? ThinkingSchema.parse(undefined);

const MAX_PROBLEMS = 20;

/** results.json's `inference`: the harness always decodes greedily, so only the settings vary. */
function inferenceRecord(settings: EvaluationSettings): Results["inference"] {
  return {
    temperature: 0,
    top_p: 1,
    repeat_penalty: 1,
    seed: settings.seed,
    max_tokens: settings.maxTokens,
    re2: settings.re2,
    parallel: settings.parallel,
    thinking: thinkingOf(settings),
  };
}

/** What results.json says an evaluation was of, besides the models and benchmarks themselves. */
export type ResultsSubject = Pick<
  Results,
  "adapter" | "domain" | "version" | "head_sha" | "hardware" | "training"
> & {
  baseId: string;
};

/**
 * A complete results.json: the adapter (if any) checked against the loaded base, then every
 * benchmark answered by the base and by base + adapter, and scored.
 */
export async function evaluateToResults(
  params: BenchmarkEvaluation & { subject: ResultsSubject; shard?: Results["shard"] },
): Promise<Results> {
  const { subject, harness, adapterPath, settings, baseAnswers: store } = params;
  const adapterSha256 = adapterPath ? await harness.checkAdapter(adapterPath) : "0".repeat(64);
  const before = store && { ...store.tally };
  const benchmarks = await evaluateBenchmarks(params);
  return {
    schema_version: 1,
    adapter: subject.adapter,
    domain: subject.domain,
    version: subject.version,
    head_sha: subject.head_sha,
    base: { id: subject.baseId, gguf_sha256: harness.baseSha256 },
    adapter_sha256: adapterSha256,
    harness: HARNESS_VERSION,
    inference: inferenceRecord(settings),
    hardware: subject.hardware,
    benchmarks,
    ...(store && before ? { base_answers: tallySince(store.tally, before) } : {}),
    ...(params.shard ? { shard: params.shard } : {}),
    ...(subject.training ? { training: subject.training } : {}),
  };
}

export interface BenchmarkEvaluation {
  harness: EvaluationHarness;
  /** Without one, only the base answers, and each outcome's adapter score repeats the base's. */
  adapterPath?: string;
  benchmarks: readonly ApplicableBenchmark[];
  settings: EvaluationSettings;
  /** Keeps and reuses the base's answers (across seeds, and across runs with a folder); none: always generated. */
  baseAnswers?: BaseAnswerStore;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export async function evaluateBenchmarks(params: BenchmarkEvaluation): Promise<BenchmarkResult[]> {
  // One pass per token budget (the registry's for its benchmarks, the adapter's for its own), each one
  // batch, so that parallel sequences stay full and each benchmark is asked under its own budget.
  const budgetOf = (b: Pick<ApplicableBenchmark, "maxTokens">) => b.maxTokens ?? params.settings.maxTokens;
  const budgets = [...new Set(params.benchmarks.map(budgetOf))];
  if (budgets.length > 1) {
    const results = new Map<ApplicableBenchmark, BenchmarkResult>();
    for (const budget of budgets) {
      const group = params.benchmarks.filter((b) => budgetOf(b) === budget);
      const done = await evaluateBenchmarks({
        ...params,
        benchmarks: group,
        settings: { ...params.settings, maxTokens: budget },
      });
      group.forEach((b, i) => results.set(b, done[i]!));
    }
    return params.benchmarks.map((b) => results.get(b)!);
  }
  const { harness, settings } = params;
  const scoresCode = params.benchmarks.some(
    (b) => b.evaluationType === "code" || b.items.some((item) => item.evaluation_type === "code"),
  );
  if (scoresCode) await loadPythonSyntax();
  const prompts = params.benchmarks.flatMap((b) =>
    b.items.map((item) => benchmarkMessages(item, settings.re2)),
  );
  const thinking = thinkingOf(settings);
  const options = {
    maxTokens: settings.maxTokens,
    seed: settings.seed,
    parallel: settings.parallel,
    signal: params.signal,
    enableThinking: thinking.enabled,
  };
  const { answers: base, uses } = await baseAnswers(params, prompts, options);
  let adapted = base;
  if (params.adapterPath) {
    params.onProgress?.(`base + adapter: ${prompts.length} items`);
    adapted = await harness.generate(prompts, { ...options, adapterPath: params.adapterPath });
  }

  let offset = 0;
  return params.benchmarks.map((benchmark, k) => {
    const problems: string[] = [];
    const hidden = benchmark.kind === "hidden";
    const outcomes = benchmark.items.map((item, i) => {
      const score = (answer: Generation, model: string) => {
        const type = item.evaluation_type ?? benchmark.evaluationType;
        const expected = { text: item.expected_output ?? "", keywords: item.answer_keywords };
        const scored = scoreAnswer(type, answerAfterThinking(answer.text, thinking.end), expected, {
          ...benchmark.evaluationConfig,
          ...item.evaluation_config,
        });
        // a hidden item's error could echo its pattern: its id and that it failed, nothing more
        if (scored.error)
          problems.push(`${item.id} (${model}): ${hidden ? "could not be scored" : scored.error}`);
        if (scored.bounded) problems.push(`${item.id} (${model}): ${scored.bounded}`);
        return scored.score;
      };
      const baseScore = score(base[offset + i]!, "base");
      return {
        id: item.id,
        base: baseScore,
        adapter: adapted === base ? baseScore : score(adapted[offset + i]!, "adapter"),
        ...(hidden ? {} : { difficulty: item.difficulty }),
      };
    });
    const slice = (answers: Generation[]) => answers.slice(offset, offset + benchmark.items.length);
    const tally = (answers: Generation[]) => ({
      max_tokens: slice(answers).filter((g) => g.hitMaxTokens).length,
      empty: slice(answers).filter((g) => g.text.trim() === "").length,
    });
    const result: BenchmarkResult = {
      name: benchmark.name,
      kind: benchmark.kind,
      sha256: benchmark.sha256,
      evaluation_type: benchmark.evaluationType,
      max_tokens: budgetOf(benchmark),
      outcomes,
      generation: { base: tally(base), adapter: tally(adapted) },
      ...(problems.length ? { problems: problems.slice(0, MAX_PROBLEMS) } : {}),
      ...(uses ? { base_answers: uses[k]! } : {}),
    };
    offset += benchmark.items.length;
    return result;
  });
}

/**
 * The base's answers to every prompt, in order: each benchmark's from the store when it holds them
 * under the exact key, the others generated in one pass (and kept; a hidden benchmark's in memory only).
 */
async function baseAnswers(
  params: BenchmarkEvaluation,
  prompts: ChatMessage[][],
  options: GenerateOptions,
): Promise<{ answers: Generation[]; uses?: BaseAnswerUse[] }> {
  const { harness, baseAnswers: store, onProgress } = params;
  if (!store) {
    onProgress?.(`base model: ${prompts.length} items`);
    return { answers: await harness.generate(prompts, options) };
  }
  const starts: number[] = [];
  let offset = 0;
  for (const b of params.benchmarks) {
    starts.push(offset);
    offset += b.items.length;
  }
  const lookups = params.benchmarks.map((benchmark, k) => {
    const ids = benchmark.items.map((item) => item.id);
    const key = store.keyFor({
      harness,
      benchmarkSha256: benchmark.sha256,
      ids,
      prompts: prompts.slice(starts[k], starts[k]! + ids.length),
      settings: params.settings,
    });
    return { key, ids, found: store.find(key, ids) };
  });
  const missing = lookups.flatMap((l, k) => (l.found ? [] : [k]));
  const reused = prompts.length - missing.reduce((n, k) => n + lookups[k]!.ids.length, 0);
  const from = [...new Set(lookups.flatMap((l) => (l.found ? [l.found.run] : [])))];
  onProgress?.(
    `base model: ${prompts.length - reused} items to answer, ${reused} reused${from.length ? ` (from ${from.join(", ")})` : ""}`,
  );
  const generated = new Map<number, Generation[]>();
  if (missing.length) {
    const asked = missing.flatMap((k) => prompts.slice(starts[k], starts[k]! + lookups[k]!.ids.length));
    const start = performance.now();
    const answers = await harness.generate(asked, options);
    const seconds = (performance.now() - start) / 1000;
    store.tally.passes++;
    store.tally.items_generated += asked.length;
    store.tally.seconds_spent += seconds;
    let at = 0;
    for (const k of missing) {
      const { key, ids } = lookups[k]!;
      const mine = answers.slice(at, at + ids.length);
      at += ids.length;
      generated.set(k, mine);
      // the pass's time, shared by item count: what a later reuse of these answers saves
      const entry = { ids, answers: mine, run: store.run, seconds: (seconds * ids.length) / asked.length };
      store.keep(key, entry, params.benchmarks[k]!.kind !== "hidden");
    }
  }
  onProgress?.(`base passes so far in this run: ${store.tally.passes}`);
  const uses: BaseAnswerUse[] = lookups.map(({ key, found }, k) => {
    const entry = found ?? store.find(key, lookups[k]!.ids)!;
    return {
      key_sha256: keyDigest(key),
      from: found ? "cache" : "this run",
      run: entry.run,
      seconds: entry.seconds,
    };
  });
  for (const { found } of lookups)
    if (found) {
      store.tally.items_reused += found.ids.length;
      store.tally.seconds_saved += found.seconds;
    }
  return {
    answers: lookups.flatMap(({ found }, k) => found?.answers ?? generated.get(k)!),
    uses,
  };
}
