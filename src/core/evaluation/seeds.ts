import type { Results } from "../schemas/results.ts";

/** The seeds of the trainings the bar asks for: the recipe's seed, then the next ones. */
export const trainingSeeds = (recipeSeed: number, count: number) =>
  Array.from({ length: count }, (_, i) => recipeSeed + i);

/**
 * One results.json from the evaluations of several trainings of the same data (bar.seeds): the first
 * training's results, which name the adapter that is published, with every outcome's score for each
 * training in `adapter_by_seed`. The evaluations ran the same benchmarks in the same order; anything
 * else is a harness fault, not a result.
 */
export function combineSeedResults(runs: readonly { seed: number; results: Results }[]): Results {
  const [first, ...others] = runs;
  if (!first) throw new Error("no training to combine");
  if (others.length === 0) return first.results;
  const outcomesOf = (results: Results, k: number) => results.benchmarks[k]?.outcomes ?? [];
  const tallies = runs.flatMap(({ results }) => (results.base_answers ? [results.base_answers] : []));
  return {
    ...first.results,
    // the base's work over every training: seeds after the first reuse the first one's answers
    ...(tallies.length === runs.length ? { base_answers: sumBaseAnswerTallies(tallies) } : {}),
    seeds: runs.map(({ seed, results }) => ({ seed, adapter_sha256: results.adapter_sha256 })),
    benchmarks: first.results.benchmarks.map((benchmark, k) => ({
      ...benchmark,
      outcomes: benchmark.outcomes.map((outcome, j) => ({
        ...outcome,
        adapter_by_seed: runs.map(({ seed, results }) => {
          const other = outcomesOf(results, k)[j];
          if (other?.id !== outcome.id)
            throw new Error(
              `the evaluation of seed ${seed} did not run ${benchmark.name}'s items in the same order`,
            );
          return other.adapter;
        }),
      })),
    })),
  };
}

type BaseAnswerTally = NonNullable<Results["base_answers"]>;

/** The base's work over several evaluations of one run (seeds, shards). */
export function sumBaseAnswerTallies(tallies: readonly BaseAnswerTally[]): BaseAnswerTally {
  const sum = (pick: (t: BaseAnswerTally) => number) => tallies.reduce((n, t) => n + pick(t), 0);
  return {
    passes: sum((t) => t.passes),
    items_generated: sum((t) => t.items_generated),
    items_reused: sum((t) => t.items_reused),
    seconds_spent: sum((t) => t.seconds_spent),
    seconds_saved: sum((t) => t.seconds_saved),
  };
}
