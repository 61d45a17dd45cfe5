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
  return {
    ...first.results,
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
