import { createReadStream } from "node:fs";
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { splitAtLineEnds, startWorker, watchWorker } from "../dataset/workers.ts";
import type { BenchmarkIndex, BenchmarkIndexData } from "./benchmark-index.ts";
import { type BoilerplateRule, planScoring, type RawContamination } from "./engine.ts";
import { type PairMatch, type ScoringPlan, type Thresholds, TrainingScan } from "./scan.ts";
import { forEachTrainingExample } from "./training-lines.ts";

export interface ContaminationJob {
  index: BenchmarkIndexData;
  path: string;
  start: number;
  end: number;
  maxLineBytes: number;
  thresholds: Thresholds;
}

type Scanned = {
  type: "scanned";
  lines: number;
  examples: number;
  trainDf: Uint32Array;
  exact: { line: number; item: number }[];
};
type Scored = { type: "scored"; pairs: PairMatch[]; work: TrainingScan["work"] };
export type ToParent = Scanned | Scored;
export type ToWorker = { type: "score"; plan: ScoringPlan };

const MAX_THREADS = 4;

/** One share of the file: scanned here or in a worker, then scored with the common plan. */
interface Participant {
  scanned(): Promise<Scanned>;
  score(plan: ScoringPlan): Promise<Scored>;
  close(): void;
}

/** Scans one byte range of a training file (phase 1), in whichever thread runs it. */
export async function scanRange(job: ContaminationJob): Promise<{ scan: TrainingScan; scanned: Scanned }> {
  const scan = new TrainingScan(job.index);
  const lines = await forEachTrainingExample(
    createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 18 }),
    { maxLineBytes: job.maxLineBytes, atFileStart: job.start === 0 },
    (line, example) => scan.add(line, example),
  );
  return {
    scan,
    scanned: {
      type: "scanned",
      lines,
      examples: scan.examples,
      trainDf: scan.trainDf,
      exact: scan.exactMatches,
    },
  };
}

/**
 * The contamination scan of a training file on disk, split in byte ranges: this thread scans the
 * first while workers scan the others (a worker takes ~90 ms to start, so this thread does not
 * wait idle). The n-gram counts are merged, the boilerplate decided, then each share is scored
 * (phase 2). Lines are renumbered from the ranges' line counts.
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
  // This thread starts at once and warm; a worker starts ~90 ms later, cold: give this one more.
  const bounds = await splitAtLineEnds(params.path, params.size, threads, 1.4);
  const jobs = bounds.slice(0, -1).map((start, i): ContaminationJob => ({
    index: params.index.data,
    path: params.path,
    start,
    end: bounds[i + 1]!,
    maxLineBytes: params.maxLineBytes,
    thresholds: params.thresholds,
  }));
  const participants = [
    local(jobs[0]!),
    ...jobs.slice(1).map((job) => remote(startWorker(import.meta.url, "worker", job))),
  ];
  try {
    const scanned = await Promise.all(participants.map((p) => p.scanned()));
    const trainDf = new Uint32Array(scanned[0]!.trainDf.length);
    let examples = 0;
    for (const s of scanned) {
      for (let i = 0; i < trainDf.length; i++) trainDf[i]! += s.trainDf[i]!;
      examples += s.examples;
    }
    const { boilerplateCount, ...plan } = planScoring(
      params.index.data,
      trainDf,
      examples,
      params.boilerplate,
      params.thresholds,
    );
    const scored = await Promise.all(participants.map((p) => p.score(plan)));
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
    for (const p of participants) p.close();
  }
}

function local(job: ContaminationJob): Participant {
  const running = scanRange(job);
  return {
    scanned: async () => (await running).scanned,
    score: async (plan) => {
      const { scan } = await running;
      const pairs = scan.score(plan, job.thresholds);
      return { type: "scored", pairs, work: scan.work };
    },
    close: () => {},
  };
}

/** A worker's messages, one at a time, as promises; a crash rejects the pending one. */
function remote(worker: Worker): Participant {
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
  const next = (): Promise<ToParent> =>
    queue.length > 0
      ? Promise.resolve(queue.shift()!)
      : failure
        ? Promise.reject(failure)
        : new Promise((resolve, reject) => {
            waiting = { resolve, reject };
          });
  return {
    scanned: () => next() as Promise<Scanned>,
    score: (plan) => {
      worker.postMessage({ type: "score", plan } satisfies ToWorker);
      return next() as Promise<Scored>;
    },
    close: () => void worker.terminate(),
  };
}
