/**
 * `loragate check`'s work, in a worker thread when the CLI is its own process: the main thread stays
 * free to answer Ctrl-C and SIGTERM at once (exit 130/143), where a synchronous step of the check (the
 * contamination index of a 200,000-item benchmark: 6 s; an audit saw 37 s) would hold the signal's
 * handler until it ended. Run in another program's process (tests), or in the installed CLI's own
 * worker (cli-in-worker.ts: its main thread already holds no work), the check stays in its thread.
 */
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
  const job: CheckJob = { root, adapter, hidden, progress: onProgress !== undefined };
  const worker = startWorker(import.meta.url, "check-worker", job);
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
