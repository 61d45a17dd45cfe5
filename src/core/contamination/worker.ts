// Phase 1 and phase 2 of the contamination scan over one byte range of a training file,
// in a worker thread; see parallel.ts for the conversation with the parent.
import { parentPort, workerData } from "node:worker_threads";
import { type ContaminationJob, scanRange, type ToParent, type ToWorker } from "./parallel.ts";

const job = workerData as ContaminationJob;
const post = (message: ToParent) => parentPort!.postMessage(message);
const { scan, scanned } = await scanRange(job);
parentPort!.once("message", (message: ToWorker) => {
  const pairs = scan.score(message.plan, job.thresholds);
  post({ type: "scored", pairs, work: scan.work });
});
// trainDf is copied, not transferred: phase 2 still reads this scan.
post(scanned);
