/**
 * Large suites spread over runners: the items of every benchmark, in the order the gate asks them,
 * dealt to `count` shards in turn (the item at position j overall goes to shard j mod count), so each
 * shard gets a near-equal share of every size of suite; a shard's results.json holds its items only.
 * The merge puts every outcome back at its position, checks that each item was answered exactly once,
 * by the same base and adapter(s), and gives the results.json one runner would have written.
 */
import { createHash } from "node:crypto";
import type { BenchmarkResult, Results } from "../schemas/results.ts";
import { sumBaseAnswerTallies } from "./seeds.ts";

export interface ShardSpec {
  /** 0-based. */
  index: number;
  count: number;
}

/** Runners an evaluation is spread over: one per `answersPerRunner` answers to generate, at most `maxRunners`. */
export function shardCount(params: {
  items: number;
  seeds: number;
  answersPerRunner: number;
  maxRunners: number;
}): number {
  const answers = params.items * (1 + params.seeds); // the base once, each training's adapter once
  return Math.max(1, Math.min(params.maxRunners, Math.ceil(answers / params.answersPerRunner)));
}

/** The items of each benchmark that shard `spec` answers, benchmarks in order (an empty one stays, empty). */
export function shardOf<B extends { items: readonly unknown[] }>(
  benchmarks: readonly B[],
  spec: ShardSpec,
): B[] {
  let position = 0;
  return benchmarks.map((benchmark) => {
    const start = position;
    position += benchmark.items.length;
    return { ...benchmark, items: benchmark.items.filter((_, i) => (start + i) % spec.count === spec.index) };
  });
}

export class ShardMergeError extends Error {}

/** What every shard of one evaluation must share: all but its items, answer tallies and provenance. */
function identity(results: Results): string {
  const { benchmarks, shard: _shard, base_answers: _tally, ...rest } = results;
  return JSON.stringify({
    ...rest,
    benchmarks: benchmarks.map((b) => [b.name, b.kind, b.sha256, b.evaluation_type]),
  });
}

/**
 * The results of shards 0..count-1 of one evaluation, as one results.json: each item's outcome at its
 * place, answer tallies summed, problems in item order (the first 20, as one runner keeps them). Throws
 * a ShardMergeError naming what does not fit: a shard missing or twice, another base, adapter, seed,
 * harness or setting, an item answered twice or not at all.
 */
export function mergeShards(shards: readonly Results[]): Results {
  const count = shards[0]?.shard?.count ?? 0;
  if (count < 1) throw new ShardMergeError("no shard results to merge");
  const byIndex = new Map<number, Results>();
  for (const shard of shards) {
    if (!shard.shard || shard.shard.count !== count)
      throw new ShardMergeError(
        `a results.json is not one of ${count} shards (shard: ${JSON.stringify(shard.shard)})`,
      );
    if (byIndex.has(shard.shard.index)) throw new ShardMergeError(`shard ${shard.shard.index} appears twice`);
    byIndex.set(shard.shard.index, shard);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) throw new ShardMergeError(`shards ${missing.join(", ")} of ${count} are missing`);
  const ordered = Array.from({ length: count }, (_, i) => byIndex.get(i)!);
  const first = ordered[0]!;
  for (const shard of ordered.slice(1))
    if (identity(shard) !== identity(first))
      throw new ShardMergeError(
        `shard ${shard.shard!.index} evaluated something else than shard 0 (base ${shard.base.gguf_sha256.slice(0, 12)}, adapter ${shard.adapter_sha256.slice(0, 12)}, harness ${shard.harness}): every shard must run the same base, adapters, benchmarks and settings`,
      );

  let position = 0;
  const benchmarks = first.benchmarks.map((benchmark, k): BenchmarkResult => {
    const parts = ordered.map((shard) => shard.benchmarks[k]!);
    const size = parts.reduce((n, p) => n + p.outcomes.length, 0);
    const next = parts.map(() => 0);
    const outcomes = Array.from({ length: size }, (_, i) => {
      const from = (position + i) % count;
      const outcome = parts[from]!.outcomes[next[from]!++];
      if (!outcome)
        throw new ShardMergeError(
          `${benchmark.name}: shard ${from} holds fewer items than its share of ${size}`,
        );
      return outcome;
    });
    position += size;
    const extra = next.findIndex((used, from) => used !== parts[from]!.outcomes.length);
    if (extra >= 0)
      throw new ShardMergeError(
        `${benchmark.name}: shard ${extra} holds more items than its share of ${size}`,
      );
    const ids = outcomes.map((o) => o.id);
    if (new Set(ids).size !== ids.length)
      throw new ShardMergeError(`${benchmark.name}: an item was answered by more than one shard`);
    return {
      ...benchmark,
      outcomes,
      ...generationOf(parts),
      ...problemsOf(parts, ids),
      ...baseAnswersOf(parts),
    };
  });
  const { shard: _shard, ...merged } = first;
  const tallies = ordered.map((s) => s.base_answers);
  return {
    ...merged,
    benchmarks,
    ...(tallies.every((t) => t !== undefined)
      ? { base_answers: sumBaseAnswerTallies(tallies as NonNullable<Results["base_answers"]>[]) }
      : {}),
  };
}

function generationOf(parts: readonly BenchmarkResult[]): Pick<BenchmarkResult, "generation"> {
  if (!parts.every((p) => p.generation)) return {};
  const sum = (model: "base" | "adapter", what: "max_tokens" | "empty") =>
    parts.reduce((n, p) => n + p.generation![model][what], 0);
  const tally = (model: "base" | "adapter") => ({
    max_tokens: sum(model, "max_tokens"),
    empty: sum(model, "empty"),
  });
  return { generation: { base: tally("base"), adapter: tally("adapter") } };
}

/** Each shard's problems start with an item id: in item order, the first 20 are those one runner keeps. */
function problemsOf(
  parts: readonly BenchmarkResult[],
  ids: readonly string[],
): Pick<BenchmarkResult, "problems"> {
  const at = new Map(ids.map((id, i) => [id, i]));
  const positionOf = (problem: string) =>
    at.get(/^(.*?) \((?:base|adapter)\): /s.exec(problem)?.[1] ?? "") ?? ids.length;
  const problems = parts
    .flatMap((p) => p.problems ?? [])
    .map((text, order) => ({ text, order, position: positionOf(text) }))
    .sort((a, b) => a.position - b.position || a.order - b.order)
    .map((p) => p.text)
    .slice(0, 20);
  return problems.length ? { problems } : {};
}

/** One record for the benchmark: from the cache only if every shard's answers were. */
function baseAnswersOf(parts: readonly BenchmarkResult[]): Pick<BenchmarkResult, "base_answers"> {
  const uses = parts.map((p) => p.base_answers);
  if (!uses.every((u) => u !== undefined)) return {};
  const all = uses as NonNullable<BenchmarkResult["base_answers"]>[];
  const key = createHash("sha256");
  for (const use of all) key.update(`${use.key_sha256}\n`);
  return {
    base_answers: {
      key_sha256: key.digest("hex"),
      from: all.every((u) => u.from === "cache") ? "cache" : "this run",
      run: [...new Set(all.map((u) => u.run))].join(", ").slice(0, 200),
      seconds: all.reduce((n, u) => n + u.seconds, 0),
    },
  };
}
