/**
 * GPU time spent once (issue 34), measured on this CPU with the fixture registry (the demo's files):
 * - a second pull request on the same registry state, base answers cached vs not (the evaluation alone);
 * - `loragate eval --cache DIR` twice on the demo's files (the installed CLI, a process each): the same
 *   scores, and the second run's time against the first's;
 * - 3 seeds: base passes, with the store vs one pass per seed (as before);
 * - 3 shards vs 1 runner: identical results, and the time of 3 simulated runners (each shard run alone
 *   on this machine, its own model load included; the slowest shard plus the merge) against one.
 * Every comparison alternates its order round by round; medians of the per-round ratios, on CPU time
 * (this process's threads, or the CLI process's) since the shared VM's wall time swings 2-3x; wall
 * ratios beside them.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mergeShards } from "../src/core/evaluation/shards.ts";
import type { Results } from "../src/core/schemas/results.ts";
import { BaseAnswerStore, keyContextOf } from "../src/eval/base-answers.ts";
import { evaluateRegistryAdapter } from "../src/eval/evaluate-adapter.ts";
import { FIXTURE_ADAPTER, fixtureBaseOf } from "../src/eval/fixture-model.ts";
import { EvaluationHarness } from "../src/eval/harness.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";

const ROUNDS = 3;
/** The shards' per-round ratios swing most (0.32-0.58 in one run): more rounds for their median. */
const SHARD_ROUNDS = 5;
const root = join(import.meta.dirname, "..");
const REGISTRY = join(root, "fixtures", "registry");
const adapterOf = (variant: "trained" | "shuffled") =>
  join(root, "fixtures", "trained", `${FIXTURE_ADAPTER}-${variant}.gguf`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
interface Timing {
  wall: number;
  /** CPU seconds of this process (every thread): what the work costs a runner that has a core to itself. */
  cpu: number;
}
/** Wall and CPU time: the VM is shared (load 15-20 on 2 cores), so the ratios are taken on CPU time. */
const seconds = async <T>(work: () => Promise<T>): Promise<[Timing, T]> => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return [{ wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 }, value];
};
/** What a results.json measured, without where its base answers came from. */
const measured = (results: Results) => ({
  ...results,
  base_answers: undefined,
  benchmarks: results.benchmarks.map((b) => ({ ...b, base_answers: undefined })),
});

export async function benchGpuTime(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "loragate-bench-gpu-time-"));
  try {
    const basePath = join(dir, "base.gguf");
    writeFileSync(basePath, fixtureBaseOf(REGISTRY).gguf);
    const result = {
      machine: "CPU (the 2-core VM, shared): every figure is CPU time on the tiny fixture model",
      secondPullRequest: await secondPullRequest(basePath, dir),
      cliTwice: cliTwice(basePath, dir),
      seeds3: await threeSeeds(basePath),
      shards3: await threeShards(basePath),
    };
    const { secondPullRequest: pr, cliTwice: cli, seeds3, shards3 } = result;
    console.log(
      [
        `second PR, uncached vs cached (CPU): ${pr.ratioUncachedVsCached.toFixed(2)}x; its own benchmark new: ${pr.ratioUncachedVsCachedNewOwn.toFixed(2)}x (goal 1.8)`,
        `loragate eval --cache twice (CPU): ${cli.ratioFirstVsSecond.toFixed(2)}x, scores identical: ${cli.rounds.every((r) => r.identicalScores)}`,
        `3 seeds: ${seeds3.basePasses} base pass (was 3), ${seeds3.ratioBeforeVsNow.toFixed(2)}x less CPU`,
        `3 shards vs 1 runner: identical ${shards3.rounds.every((r) => r.identical)}, simulated ${shards3.ratioSimulatedVsSingle.toFixed(2)}x of one (goal <= 0.45)`,
      ].join("\n"),
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function evaluate(params: {
  harness: EvaluationHarness;
  basePath: string;
  adapter: "trained" | "shuffled";
  store?: BaseAnswerStore;
  parallel: number;
  shard?: { index: number; count: number };
}) {
  return evaluateRegistryAdapter({
    source: new FsRegistrySource(REGISTRY),
    adapter: FIXTURE_ADAPTER,
    harness: params.harness,
    adapterPath: adapterOf(params.adapter),
    headSha: "0".repeat(40),
    hardware: "bench CPU",
    settings: { seed: 42, re2: false, parallel: params.parallel },
    baseAnswers: params.store,
    shard: params.shard,
  });
}

const storeIn = async (basePath: string, dir?: string) =>
  new BaseAnswerStore({
    dir,
    run: "bench",
    context: await keyContextOf({ basePath, gpu: false, hardware: "bench CPU" }),
  });

/**
 * PR 1 evaluated the trained adapter; PR 2 (the shuffled one) on the same registry state finds the
 * base's answers kept. Two cases: the same own benchmark (a second push) and a new one (another
 * contributor's own benchmark, so its base answers are generated: the entry is dropped before the run).
 */
async function secondPullRequest(basePath: string, dir: string) {
  const harness = await EvaluationHarness.open({ basePath });
  try {
    const cache = join(dir, "pr-cache");
    const first = await evaluate({
      harness,
      basePath,
      adapter: "trained",
      store: await storeIn(basePath, cache),
      parallel: 8,
    });
    const ownKey = first.benchmarks.find((b) => b.kind === "own")!.base_answers!.key_sha256;
    const rounds: { uncached: Timing; cached: Timing; cachedNewOwn: Timing; identical: boolean }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const uncached = async () =>
        seconds(() => evaluate({ harness, basePath, adapter: "shuffled", parallel: 8 }));
      const cached = async () =>
        seconds(async () =>
          evaluate({
            harness,
            basePath,
            adapter: "shuffled",
            store: await storeIn(basePath, cache),
            parallel: 8,
          }),
        );
      const newOwn = async () => {
        const own = join(cache, `${ownKey}.json`);
        const kept = readFileSync(own);
        rmSync(own);
        try {
          return await cached(); // the same run, with the own benchmark's entry gone
        } finally {
          writeFileSync(own, kept);
        }
      };
      const order = round % 2 ? [cached, newOwn, uncached] : [uncached, cached, newOwn];
      const timed = new Map<unknown, [Timing, Results]>();
      for (const run of order) timed.set(run, await run());
      const [u, ur] = timed.get(uncached)!;
      const [c, cr] = timed.get(cached)!;
      const [n] = timed.get(newOwn)!;
      rounds.push({
        uncached: u,
        cached: c,
        cachedNewOwn: n,
        identical: JSON.stringify(measured(ur)) === JSON.stringify(measured(cr)),
      });
    }
    return {
      what: "evaluation of PR 2 (240 items: own + 3 registry benchmarks; base + adapter, 8 parallel sequences)",
      rounds,
      ratioUncachedVsCached: median(rounds.map((r) => r.uncached.cpu / r.cached.cpu)),
      ratioUncachedVsCachedNewOwn: median(rounds.map((r) => r.uncached.cpu / r.cachedNewOwn.cpu)),
      wallRatioUncachedVsCached: median(rounds.map((r) => r.uncached.wall / r.cached.wall)),
      wallRatioUncachedVsCachedNewOwn: median(rounds.map((r) => r.uncached.wall / r.cachedNewOwn.wall)),
      goal: 1.8,
    };
  } finally {
    await harness.dispose();
  }
}

/** The installed CLI (bin/loragate.js, the built bundle), a process per run, as a maintainer runs it. */
function cliTwice(basePath: string, dir: string) {
  // bash's `times` gives the CPU time of the process it ran (its second line: the children's user and system)
  const timedProcess = (args: string[]) => {
    const start = performance.now();
    const out = execFileSync("bash", ["-c", '"$@" > "$SCORES"; times', "_", process.execPath, ...args], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, SCORES: join(dir, "scores.txt") },
      stdio: ["ignore", "pipe", "ignore"],
    });
    const [user, system] = out.trim().split("\n").at(-1)!.split(" ").map(bashSeconds) as [number, number];
    return {
      wall: (performance.now() - start) / 1000,
      cpu: user + system,
      scores: readFileSync(join(dir, "scores.txt"), "utf8"),
    };
  };
  const run = (cache: string) =>
    timedProcess(
      [
        join(root, "bin", "loragate.js"),
        "eval",
        "--base",
        basePath,
        "--adapter",
        adapterOf("trained"),
      ].concat(["--registry", REGISTRY, "--name", FIXTURE_ADAPTER, "--cache", cache]),
    );
  const startOnly = () => timedProcess([join(root, "bin", "loragate.js"), "--help"]);
  const rounds: { first: Timing; second: Timing; identicalScores: boolean; processStart: Timing }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cache = join(dir, `cli-cache-${round}`);
    mkdirSync(cache);
    // the second run needs the first: the order alternates with the process-start anchor instead
    const early = round % 2 ? startOnly() : undefined;
    const { scores: firstScores, ...first } = run(cache);
    const { scores: secondScores, ...second } = run(cache);
    const { scores: _, ...processStart } = early ?? startOnly();
    rounds.push({ first, second, identicalScores: firstScores === secondScores, processStart });
  }
  return {
    what: "loragate eval --base B --adapter A --registry fixtures/registry --name math-gsm8k --cache DIR, twice (parallel 1)",
    rounds,
    ratioFirstVsSecond: median(rounds.map((r) => r.first.cpu / r.second.cpu)),
    wallRatioFirstVsSecond: median(rounds.map((r) => r.first.wall / r.second.wall)),
    goal: 1.8,
  };
}

/** "1m2.345s" as seconds. */
function bashSeconds(text: string): number {
  const [, m, sec] = /^(\d+)m([\d.]+)s$/.exec(text) ?? [];
  return Number(m) * 60 + Number(sec);
}

/** Three trainings' evaluations (the trained, shuffled and trained adapters stand for three seeds). */
async function threeSeeds(basePath: string) {
  const harness = await EvaluationHarness.open({ basePath });
  try {
    const adapters = ["trained", "shuffled", "trained"] as const;
    const rounds: { passesBefore: number; passesNow: number; before: Timing; now: Timing }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const perSeed = async () => {
        let passes = 0;
        const [s] = await seconds(async () => {
          // as before: each seed's evaluation asked the base again
          for (const adapter of adapters) {
            const store = await storeIn(basePath);
            await evaluate({ harness, basePath, adapter, store, parallel: 8 });
            passes += store.tally.passes;
          }
        });
        return { s, passes };
      };
      const shared = async () => {
        const store = await storeIn(basePath);
        const [s] = await seconds(async () => {
          for (const adapter of adapters) await evaluate({ harness, basePath, adapter, store, parallel: 8 });
        });
        return { s, passes: store.tally.passes };
      };
      const timed = new Map<unknown, { s: Timing; passes: number }>();
      for (const run of round % 2 ? [shared, perSeed] : [perSeed, shared]) timed.set(run, await run());
      const before = timed.get(perSeed)!;
      const now = timed.get(shared)!;
      rounds.push({ passesBefore: before.passes, passesNow: now.passes, before: before.s, now: now.s });
    }
    return {
      what: "3 seeds' evaluations (240 items each, 8 parallel sequences): base passes and time, one pass per seed vs one per run",
      rounds,
      basePasses: rounds[0]!.passesNow,
      ratioBeforeVsNow: median(rounds.map((r) => r.before.cpu / r.now.cpu)),
      wallRatioBeforeVsNow: median(rounds.map((r) => r.before.wall / r.now.wall)),
    };
  } finally {
    await harness.dispose();
  }
}

/** One runner vs 3 shards, each as a runner would: its own model load, its share of the items (parallel 1). */
async function threeShards(basePath: string) {
  const runner = async (shard?: { index: number; count: number }) =>
    seconds(async () => {
      const harness = await EvaluationHarness.open({ basePath });
      try {
        return await evaluate({ harness, basePath, adapter: "trained", parallel: 1, shard });
      } finally {
        await harness.dispose();
      }
    });
  const rounds: { single: Timing; shards: Timing[]; merge: Timing; simulated: Timing; identical: boolean }[] =
    [];
  for (let round = 0; round < SHARD_ROUNDS; round++) {
    const one = async () => runner();
    const three = async () => {
      const parts: [Timing, Results][] = [];
      for (const index of [0, 1, 2]) parts.push(await runner({ index, count: 3 }));
      return parts;
    };
    let single: [Timing, Results];
    let parts: [Timing, Results][];
    if (round % 2) {
      parts = await three();
      single = await one();
    } else {
      single = await one();
      parts = await three();
    }
    const [merge, merged] = await seconds(async () => mergeShards(parts.map(([, r]) => r)));
    // three runners at once: the slowest shard, then the merge
    const slowest = (pick: (t: Timing) => number) => Math.max(...parts.map(([t]) => pick(t))) + pick(merge);
    rounds.push({
      single: single[0],
      shards: parts.map(([t]) => t),
      merge,
      simulated: { wall: slowest((t) => t.wall), cpu: slowest((t) => t.cpu) },
      identical: JSON.stringify(merged) === JSON.stringify(single[1]),
    });
  }
  return {
    what: "the fixture adapter's 240 items, base + adapter, one at a time: 1 runner vs 3 simulated runners (slowest shard + merge)",
    rounds,
    ratioSimulatedVsSingle: median(rounds.map((r) => r.simulated.cpu / r.single.cpu)),
    wallRatioSimulatedVsSingle: median(rounds.map((r) => r.simulated.wall / r.single.wall)),
    goal: 0.45,
  };
}
