import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { splitAtLineEnds, startWorker, watchWorker } from "../workers.ts";
import type { BenchmarkIndex, BenchmarkIndexData } from "./benchmark-index.ts";
import { type BoilerplateRule, planScoring, type RawContamination } from "./engine.ts";
import type { PairMatch, ScoringPlan, Thresholds, TrainingScan } from "./scan.ts";

export interface ContaminationJob {
  index: BenchmarkIndexData;
  path: string;
  start: number;
  end: number;
  maxLineBytes: number;
  thresholds: Thresholds;
}

export type ToParent =
  | {
      type: "scanned";
      lines: number;
      examples: number;
      trainDf: Uint32Array;
      exact: { line: number; item: number }[];
    }
  | { type: "scored"; pairs: PairMatch[]; work: TrainingScan["work"] };
export type ToWorker = { type: "score"; plan: ScoringPlan };

const MAX_THREADS = 4;

/**
 * The contamination scan of a training file on disk, one worker per byte range: each scans its
 * range (phase 1), the parent merges the n-gram counts and decides the boilerplate, then each
 * worker scores its own examples (phase 2). Lines are renumbered from the ranges' line counts.
 */
export async function scanInWorkers(params: {
  index: BenchmarkIndex;
  path: string;
  size: number;
  maxLineBytes: number;
  thresholds: Thresholds;
  boilerplate: BoilerplateRule;
  threads?: number;
}): Promise<RawContamination> {
  const threads = Math.max(1, Math.min(params.threads ?? availableParallelism(), MAX_THREADS));
  const bounds = await splitAtLineEnds(params.path, params.size, threads);
  const workers: { worker: Worker; next: () => Promise<ToParent> }[] = bounds.slice(0, -1).map((start, i) => {
    const job: ContaminationJob = {
      index: params.index.data,
      path: params.path,
      start,
      end: bounds[i + 1]!,
      maxLineBytes: params.maxLineBytes,
      thresholds: params.thresholds,
    };
    return conversation(startWorker(import.meta.url, "worker", job));
  });
  try {
    const scanned = (await Promise.all(workers.map((w) => w.next()))) as Extract<
      ToParent,
      { type: "scanned" }
    >[];
    const trainDf = new Uint32Array(scanned[0]!.trainDf.length);
    let examples = 0;
    for (const s of scanned) {
      for (let i = 0; i < trainDf.length; i++) trainDf[i]! += s.trainDf[i]!;
      examples += s.examples;
    }
    const plan = planScoring(params.index.data, trainDf, examples, params.boilerplate, params.thresholds);
    const { boilerplateCount, ...toSend } = plan;
    for (const w of workers) w.worker.postMessage({ type: "score", plan: toSend } satisfies ToWorker);
    const scored = (await Promise.all(workers.map((w) => w.next()))) as Extract<
      ToParent,
      { type: "scored" }
    >[];
    const offsets = scanned.map((_, i) => scanned.slice(0, i).reduce((sum, s) => sum + s.lines, 0));
    return {
      exact: scanned.flatMap((s, i) => s.exact.map((e) => ({ ...e, line: e.line + offsets[i]! }))),
      pairs: scored.flatMap((s, i) => s.pairs.map((p) => ({ ...p, line: p.line + offsets[i]! }))),
      examples,
      boilerplateNgrams: boilerplateCount,
      work: {
        lookups: scored.reduce((sum, s) => sum + s.work.lookups, 0),
        candidates: scored.reduce((sum, s) => sum + s.work.candidates, 0),
      },
    };
  } finally {
    for (const w of workers) void w.worker.terminate();
  }
}

/** Messages from a worker, one at a time, as promises; a crash rejects the pending one. */
function conversation(worker: Worker): { worker: Worker; next: () => Promise<ToParent> } {
  const queue: ToParent[] = [];
  let waiting: { resolve: (m: ToParent) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  let finished = false;
  worker.on("message", (message: ToParent) => {
    if (message.type === "scored") finished = true;
    if (waiting) {
      waiting.resolve(message);
      waiting = undefined;
    } else queue.push(message);
  });
  watchWorker(
    worker,
    () => finished,
    (error) => {
      failure = error;
      waiting?.reject(error);
    },
  );
  return {
    worker,
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : failure
          ? Promise.reject(failure)
          : new Promise((resolve, reject) => {
              waiting = { resolve, reject };
            }),
  };
}
