/**
 * `loragate check`'s work, in a worker thread when the CLI is its own process: the main thread stays
 * free to answer Ctrl-C and SIGTERM at once (exit 130/143), where a synchronous step of the check (the
 * contamination index of a 200,000-item benchmark: 6 s; an audit saw 37 s) would hold the signal's
 * handler until it ended. Run in another program's process (tests), the check stays in its thread.
 * This module loads no check code itself: the installed CLI imports it first, to start the worker early.
 */
import type { Worker } from "node:worker_threads";
import type { BenchmarkInput } from "../core/contamination/benchmark-index.ts";
import type { CheckReport } from "../core/check.ts";
import { startWorker, watchWorker } from "../core/dataset/workers.ts";

export interface CheckJob {
  root: string;
  adapter?: string | string[];
  hidden: BenchmarkInput[];
  progress: boolean;
}

export type CheckMessage =
  | { type: "progress"; file: string; bytes: number; total: number }
  | { type: "done"; report: CheckReport }
  | { type: "failed"; message: string };

/** A worker started before its job, and whether it has stopped since (then it is not used). */
let early: { worker: Worker; gone: boolean } | undefined;

/**
 * Starts the check's worker before the arguments are read (bin/loragate.js, for `loragate check`): it
 * compiles the check's modules on the other core while this thread loads the CLI's and vets the
 * arguments, then waits for its job. Unreferenced until then, so a command that ends without a check
 * (a usage error, --help) is not held open by it.
 */
export function startCheckWorkerEarly(): void {
  const started = { worker: startWorker(import.meta.url, "check-worker", null), gone: false };
  // A failure before the job is given means a fresh worker then (runCheckWork), which reports it.
  started.worker.on("error", () => (started.gone = true));
  started.worker.once("exit", () => (started.gone = true));
  started.worker.unref();
  early = started;
}

/** The early worker with `job` posted to it, or a new one started with it. */
function workerFor(job: CheckJob): Worker {
  const started = early;
  early = undefined;
  if (!started || started.gone) return startWorker(import.meta.url, "check-worker", job);
  started.worker.ref();
  started.worker.postMessage(job);
  return started.worker;
}

export async function runCheckWork(params: {
  root: string;
  adapter?: string | string[];
  hidden: BenchmarkInput[];
  onProgress?: (file: string, bytes: number, total: number) => void;
  /** True when this process is the CLI's own (it answers signals): the work runs in a worker. */
  ownProcess: boolean;
}): Promise<CheckReport> {
  const { root, adapter, hidden, onProgress } = params;
  if (!params.ownProcess) {
    const [{ checkRegistry }, { FsRegistrySource }] = await Promise.all([
      import("../core/check.ts"),
      import("../io/fs-source.ts"),
    ]);
    return checkRegistry({
      source: new FsRegistrySource(root),
      adapter,
      hidden,
      onProgress,
      workflows: true,
    });
  }
  const worker = workerFor({ root, adapter, hidden, progress: onProgress !== undefined });
  let settled = false;
  try {
    return await new Promise<CheckReport>((resolve, reject) => {
      watchWorker(worker, () => settled, reject);
      worker.on("message", (message: CheckMessage) => {
        if (message.type === "progress") return onProgress?.(message.file, message.bytes, message.total);
        settled = true;
        if (message.type === "done") resolve(message.report);
        else reject(new Error(message.message));
      });
    });
  } finally {
    await worker.terminate();
  }
}
