import { createHash } from "node:crypto";
import type { Results } from "../schemas/results.ts";

/**
 * The seeds of the trainings the bar asks for: the recipe's seed first (the adapter published is
 * the contributor's recipe, reproduced), then `count - 1` that the registry draws from the commit
 * evaluated (sha256 of it, as 32-bit words). The contributor chooses one of them, never all: a start
 * found locally where s, s+1, s+2 all pass no longer decides anything, and every push draws anew.
 * Each is a valid 32-bit seed whatever the recipe's (no s+1 past 2^32 - 1).
 */
export function trainingSeeds(recipeSeed: number, count: number, headSha: string): number[] {
  const seeds = [recipeSeed];
  for (let k = 1; seeds.length < count; k++) {
    const seed = createHash("sha256")
      .update(`loragate training seed ${headSha} ${k}`)
      .digest()
      .readUInt32BE(0);
    if (!seeds.includes(seed)) seeds.push(seed);
  }
  return seeds;
}

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
