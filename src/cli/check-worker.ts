// `loragate check`'s work in a worker thread (see check-in-worker.ts): the report, progress on the way,
// or the message of what stopped it.
import { parentPort, workerData } from "node:worker_threads";
import { checkRegistry } from "../core/check.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import type { CheckJob, CheckMessage } from "./check-in-worker.ts";

const post = (message: CheckMessage) => parentPort!.postMessage(message);

async function run(job: CheckJob): Promise<void> {
  try {
    const report = await checkRegistry({
      source: new FsRegistrySource(job.root),
      adapter: job.adapter,
      hidden: job.hidden,
      workflows: true,
      onProgress: job.progress
        ? (file, bytes, total) => post({ type: "progress", file, bytes, total })
        : undefined,
    });
    post({ type: "done", report });
  } catch (error) {
    post({ type: "failed", message: (error as Error).message });
  }
}

await run(workerData as CheckJob);
