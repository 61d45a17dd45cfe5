/**
 * Large suites spread over runners: the fixture adapter evaluated by one runner, and by three shards
 * merged, gives the same results.json (items, answers' tallies, scores, problems); a merge refuses shards
 * that do not belong together.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incompleteness } from "../src/core/evaluation/completeness.ts";
import { expectedResultsFor } from "../src/core/contamination/benchmarks-for.ts";
import { mergeShards, shardCount, shardOf } from "../src/core/evaluation/shards.ts";
import type { Results } from "../src/core/schemas/results.ts";
import { evaluateRegistryAdapter } from "../src/eval/evaluate-adapter.ts";
import { FIXTURE_ADAPTER, fixtureBaseOf } from "../src/eval/fixture-model.ts";
import { EvaluationHarness } from "../src/eval/harness.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-shards-"));
const basePath = join(dir, "base.gguf");
writeFileSync(basePath, fixtureBaseOf(FIXTURE_ROOT).gguf);
const adapterPath = join(FIXTURE_ROOT, "..", "trained", `${FIXTURE_ADAPTER}-trained.gguf`);

let harness: EvaluationHarness;
beforeAll(async () => {
  harness = await EvaluationHarness.open({ basePath, gpu: false });
});
afterAll(() => harness?.dispose());

const evaluate = (shard?: { index: number; count: number }) =>
  evaluateRegistryAdapter({
    source: new FsRegistrySource(FIXTURE_ROOT),
    adapter: FIXTURE_ADAPTER,
    harness,
    adapterPath,
    headSha: "c".repeat(40),
    hardware: "test CPU",
    // one item at a time: a shard's batches hold other items than one runner's, and batched kernels
    // may round differently (README, --parallel); one at a time, an answer depends on its item only
    settings: { seed: 42, re2: false, parallel: 1 },
    shard,
  });

describe("an evaluation spread over shards", () => {
  let single: Results;
  let shards: Results[];
  beforeAll(async () => {
    single = await evaluate();
    shards = [];
    for (const index of [0, 1, 2]) shards.push(await evaluate({ index, count: 3 }));
  }, 600_000);

  it("3 shards merged are the results.json of one runner, and complete", async () => {
    // each shard answered a third of every benchmark, none of them twice
    for (const shard of shards)
      for (const [k, benchmark] of shard.benchmarks.entries())
        expect(benchmark.outcomes.length).toBe(single.benchmarks[k]!.outcomes.length / 3);
    const merged = mergeShards([shards[2]!, shards[0]!, shards[1]!]); // in any order
    expect(merged).toEqual(single);
    const expected = await expectedResultsFor({
      source: new FsRegistrySource(FIXTURE_ROOT),
      adapter: FIXTURE_ADAPTER,
      hiddenBenchmarks: 0,
    });
    if (typeof expected === "string") throw new Error(expected);
    expect(incompleteness(merged, expected)).toEqual([]);
    // one shard alone is not results the app accepts
    expect(incompleteness(shards[0]!, expected)).toContain("this is shard 0 of 3, not the merged results");
  });

  it("refuses shards that are missing, repeated, of another adapter, or answer an item twice", async () => {
    const expected = await expectedResultsFor({
      source: new FsRegistrySource(FIXTURE_ROOT),
      adapter: FIXTURE_ADAPTER,
      hiddenBenchmarks: 0,
    });
    if (typeof expected === "string") throw new Error(expected);
    const [a, b, c] = shards as [Results, Results, Results];
    expect(() => mergeShards([a, b])).toThrow("shards 2 of 3 are missing");
    expect(() => mergeShards([a, b, b])).toThrow("shard 1 appears twice");
    expect(() => mergeShards([a, b, { ...c, adapter_sha256: "f".repeat(64) }])).toThrow(
      "shard 2 evaluated something else than shard 0",
    );
    expect(() => mergeShards([a, b, { ...c, base: { ...c.base, gguf_sha256: "e".repeat(64) } }])).toThrow(
      /every shard must run the same base/,
    );
    // shard 1 answered one of shard 0's items instead of its own
    const twice = structuredClone(b);
    twice.benchmarks[0]!.outcomes[0] = a.benchmarks[0]!.outcomes[0]!;
    expect(() => mergeShards([a, twice, c])).toThrow("own: an item was answered by more than one shard");
    const fewer = structuredClone(c);
    fewer.benchmarks[1]!.outcomes.pop();
    const { shard: _, ...notAShard } = c;
    expect(() => mergeShards([a, b, notAShard])).toThrow("is not one of 3 shards");
    // a shard that lost the last item of a benchmark still deals like a shorter benchmark: the registry's
    // item list (the completeness check the merge job and the app run) is what names it
    const short = mergeShards([a, b, fewer]);
    expect(incompleteness(short, expected)).toEqual(["math: 1 of 60 items missing, 0 repeated, 0 unknown"]);
    const moved = structuredClone(c);
    moved.benchmarks[0]!.outcomes.push(moved.benchmarks[1]!.outcomes.shift()!);
    expect(() => mergeShards([a, b, moved])).toThrow(
      /^own: shard \d holds (fewer|more) items than its share of 61$/,
    );
  });
});

describe("how many runners", () => {
  it("one until the answers to generate pass the registry's threshold, then one per share, up to the most", () => {
    const plan = (items: number, seeds = 1) =>
      shardCount({ items, seeds, answersPerRunner: 20_000, maxRunners: 8 });
    expect(plan(240)).toBe(1);
    expect(plan(10_000)).toBe(1); // 20,000 answers: base and adapter
    expect(plan(10_001)).toBe(2);
    expect(plan(1319 * 8, 3)).toBe(3); // eight GSM8K-sized suites, three seeds
    expect(plan(14_042, 3)).toBe(3);
    expect(plan(1_000_000, 3)).toBe(8);
  });

  it("deals every item to exactly one shard, near-equally, in a fixed order", () => {
    const benchmarks = [5, 0, 7, 1].map((n, b) => ({
      items: Array.from({ length: n }, (_, i) => `${b}-${i}`),
    }));
    const dealt = [0, 1, 2].map((index) => shardOf(benchmarks, { index, count: 3 }));
    expect(dealt.map((s) => s.reduce((n, b) => n + b.items.length, 0))).toEqual([5, 4, 4]);
    expect(dealt.flatMap((s) => s.flatMap((b) => b.items)).sort()).toEqual(
      benchmarks.flatMap((b) => b.items).sort(),
    );
    expect(shardOf(benchmarks, { index: 1, count: 3 })).toEqual(dealt[1]);
  });
});
