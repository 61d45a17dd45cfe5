/**
 * One evaluation: every benchmark item answered by the base alone and by base + adapter, in one
 * batch per model so that parallel sequences stay full, then scored into per-item paired outcomes
 * (results.json's benchmarks). Verdicts and scorecards are the core's business, from these outcomes.
 */
import type { ApplicableBenchmark } from "../core/evaluation/benchmarks-for.ts";
import { HARNESS_VERSION } from "../core/evaluation/completeness.ts";
import { benchmarkMessages } from "../core/evaluation/prompt.ts";
import { loadPythonSyntax } from "../core/evaluation/python-syntax.ts";
import { scoreAnswer } from "../core/evaluation/scoring.ts";
import type { BenchmarkResult, Results } from "../core/schemas/results.ts";
import type { EvaluationHarness, Generation } from "./harness.ts";

export interface EvaluationSettings {
  /** Token budget of a benchmark that sets none (the adapter's, for its own). */
  maxTokens: number;
  seed: number;
  re2: boolean;
  parallel: number;
}

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
  params: BenchmarkEvaluation & { subject: ResultsSubject },
): Promise<Results> {
  const { subject, harness, adapterPath, settings } = params;
  const adapterSha256 = adapterPath ? await harness.checkAdapter(adapterPath) : "0".repeat(64);
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
    benchmarks: await evaluateBenchmarks(params),
    ...(subject.training ? { training: subject.training } : {}),
  };
}

export interface BenchmarkEvaluation {
  harness: EvaluationHarness;
  /** Without one, only the base answers, and each outcome's adapter score repeats the base's. */
  adapterPath?: string;
  benchmarks: readonly ApplicableBenchmark[];
  settings: EvaluationSettings;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export async function evaluateBenchmarks(params: BenchmarkEvaluation): Promise<BenchmarkResult[]> {
  const { harness, settings } = params;
  const scoresCode = params.benchmarks.some(
    (b) => b.evaluationType === "code" || b.items.some((item) => item.evaluation_type === "code"),
  );
  if (scoresCode) await loadPythonSyntax();
  const budgetOf = (b: Pick<ApplicableBenchmark, "maxTokens">) => b.maxTokens ?? settings.maxTokens;
  const total = params.benchmarks.reduce((n, b) => n + b.items.length, 0);
  /** Every benchmark's answers, one batch per token budget (the registry's and the adapter's may differ). */
  const answerAll = async (adapterPath?: string): Promise<Generation[]> => {
    const answers: Generation[] = new Array<Generation>(total);
    for (const budget of new Set(params.benchmarks.map(budgetOf))) {
      const at: number[] = [];
      const prompts: ReturnType<typeof benchmarkMessages>[] = [];
      let offset = 0;
      for (const benchmark of params.benchmarks) {
        if (budgetOf(benchmark) === budget)
          benchmark.items.forEach((item, i) => {
            at.push(offset + i);
            prompts.push(benchmarkMessages(item, settings.re2));
          });
        offset += benchmark.items.length;
      }
      const generated = await harness.generate(prompts, {
        maxTokens: budget,
        seed: settings.seed,
        parallel: settings.parallel,
        signal: params.signal,
        ...(adapterPath ? { adapterPath } : {}),
      });
      at.forEach((index, k) => (answers[index] = generated[k]!));
    }
    return answers;
  };
  params.onProgress?.(`base model: ${total} items`);
  const base = await answerAll();
  let adapted = base;
  if (params.adapterPath) {
    params.onProgress?.(`base + adapter: ${total} items`);
    adapted = await answerAll(params.adapterPath);
  }

  let offset = 0;
  return params.benchmarks.map((benchmark) => {
    const problems: string[] = [];
    const hidden = benchmark.kind === "hidden";
    const outcomes = benchmark.items.map((item, i) => {
      const score = (answer: Generation, model: string) => {
        const type = item.evaluation_type ?? benchmark.evaluationType;
        const expected = { text: item.expected_output ?? "", keywords: item.answer_keywords };
        const scored = scoreAnswer(type, answer.text, expected, {
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
    };
    offset += benchmark.items.length;
    return result;
  });
}
