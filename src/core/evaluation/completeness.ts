/**
 * Complete results: a results.json only counts when it holds every benchmark the registry says
 * applies (own, domain, each out-of-domain one at its pinned sha256, as many hidden ones as the
 * runners hold), every item of each exactly once, from the harness this gate runs. Without this,
 * results with the hard benchmarks left out, or one good item repeated, would pass the bar.
 */
import type { BenchmarkItem } from "../schemas/records.ts";
import type { BenchmarkResult, Results } from "../schemas/results.ts";
import { hiddenPinProblems } from "./hidden-pins.ts";

/** Recorded in results.json; bump when prompting, decoding or scoring changes what a score means. */
export const HARNESS_VERSION = "loragate-eval/4"; // 4: real tokenizer families, thinking, registry budgets

/** A benchmark complete results hold: each of its items once, at its pinned sha256. */
export interface ExpectedBenchmark {
  name: string;
  kind: BenchmarkResult["kind"];
  sha256: string;
  items: readonly BenchmarkItem[];
  /** The token budget it is asked under (the registry's); absent: not checked. */
  maxTokens?: number;
}

export interface ExpectedResults {
  benchmarks: readonly ExpectedBenchmark[];
  /** The token budget of the hidden benchmarks (config evaluation.max_tokens); absent: not checked. */
  hiddenMaxTokens?: number;
  /** Hidden benchmarks the runners hold (config bar.hidden.benchmarks). */
  hidden: number;
  harness: string;
  /** Trainings the bar asks for (config bar.seeds); absent: 1. */
  seeds?: number;
  /** The operator's sha256 pins of the hidden benchmarks (LORAGATE_HIDDEN_SHA256), when set. */
  hiddenSha256?: readonly string[];
  /** The seeds they train with (trainingSeeds), when the commit is known. */
  seedList?: readonly number[];
}

/** What is missing or wrong, as short sentences; empty when the results are complete. */
export function incompleteness(results: Results, expected: ExpectedResults): string[] {
  const problems: string[] = [];
  if (results.shard)
    problems.push(`this is shard ${results.shard.index} of ${results.shard.count}, not the merged results`);
  if (results.harness !== expected.harness)
    problems.push(`evaluated by harness ${results.harness}, this gate runs ${expected.harness}`);
  const key = (b: { kind: string; name: string }) => `${b.kind}:${b.name}`;
  const wanted = new Map(expected.benchmarks.map((b) => [key(b), b]));
  for (const result of results.benchmarks) {
    if (result.kind !== "hidden" && !wanted.has(key(result)))
      problems.push(`${result.name} (${result.kind}) is not a benchmark of this adapter`);
  }
  for (const benchmark of expected.benchmarks) {
    const found = results.benchmarks.filter((b) => key(b) === key(benchmark));
    if (found.length !== 1) {
      problems.push(`${benchmark.name} (${benchmark.kind}) ${found.length ? "appears twice" : "is missing"}`);
      continue;
    }
    const result = found[0]!;
    if (result.sha256 !== benchmark.sha256)
      problems.push(`${benchmark.name} was evaluated on another file (sha256 ${result.sha256.slice(0, 12)})`);
    if (benchmark.maxTokens !== undefined && result.max_tokens !== benchmark.maxTokens)
      problems.push(budgetProblem(benchmark.name, result.max_tokens, benchmark.maxTokens));
    const ids = new Set(benchmark.items.map((item) => item.id));
    const seen = new Set<string>();
    let unknown = 0;
    let repeated = 0;
    for (const outcome of result.outcomes) {
      if (!ids.has(outcome.id)) unknown++;
      else if (seen.has(outcome.id)) repeated++;
      seen.add(outcome.id);
    }
    const missing = [...ids].filter((id) => !seen.has(id)).length;
    if (missing || unknown || repeated)
      problems.push(
        `${benchmark.name}: ${missing} of ${ids.size} items missing, ${repeated} repeated, ${unknown} unknown`,
      );
  }
  problems.push(...seedProblems(results, expected.seeds ?? 1));
  const used = results.seeds?.map((s) => s.seed);
  if (expected.seedList && used && used.join() !== expected.seedList.join())
    problems.push(
      `trained with seeds ${used.join(", ")}, the registry's are ${expected.seedList.join(", ")}`,
    );
  const hidden = results.benchmarks.filter((b) => b.kind === "hidden");
  if (hidden.length < expected.hidden)
    problems.push(`${hidden.length} of ${expected.hidden} hidden benchmarks were evaluated`);
  if (expected.hiddenSha256) problems.push(...hiddenPinProblems(hidden, expected.hiddenSha256));
  for (const benchmark of hidden) {
    if (expected.hiddenMaxTokens !== undefined && benchmark.max_tokens !== expected.hiddenMaxTokens)
      problems.push(budgetProblem(benchmark.name, benchmark.max_tokens, expected.hiddenMaxTokens));
    const ids = benchmark.outcomes.map((o) => o.id);
    if (ids.length === 0 || new Set(ids).size !== ids.length)
      problems.push(`${benchmark.name}: ${ids.length === 0 ? "no items" : "repeated items"}`);
  }
  return problems;
}

const budgetProblem = (name: string, used: number | undefined, wanted: number) =>
  `${name} was asked with ${used === undefined ? "an unrecorded token budget" : `a budget of ${used} tokens`}, the registry's is ${wanted}`;

/** Every outcome scored once per seed the bar asks for, the first of them being `adapter`. */
function seedProblems(results: Results, wanted: number): string[] {
  const seeds = results.seeds?.length ?? 1;
  if (seeds !== wanted)
    return [`trained with ${seeds} seed${seeds === 1 ? "" : "s"}, the bar asks for ${wanted}`];
  if (seeds === 1) return [];
  const problems: string[] = [];
  for (const benchmark of results.benchmarks) {
    const wrong = benchmark.outcomes.filter(
      (o) => o.adapter_by_seed?.length !== seeds || o.adapter_by_seed[0] !== o.adapter,
    ).length;
    if (wrong > 0) problems.push(`${benchmark.name}: ${wrong} items without one score per seed`);
  }
  return problems;
}
