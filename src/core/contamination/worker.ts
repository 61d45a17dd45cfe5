// Phase 1 and phase 2 of the contamination scan over one byte range of a training file,
// in a worker thread; see parallel.ts for the conversation with the parent.
import { createReadStream } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { ContaminationJob, ToParent, ToWorker } from "./parallel.ts";
import { TrainingScan } from "./scan.ts";
import { forEachTrainingExample } from "./training-lines.ts";

const job = workerData as ContaminationJob;
const post = (message: ToParent, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
const scan = new TrainingScan(job.index);
const lines = await forEachTrainingExample(
  createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 18 }),
  { maxLineBytes: job.maxLineBytes, atFileStart: job.start === 0 },
  (line, example) => scan.add(line, example),
);
parentPort!.once("message", (message: ToWorker) => {
  const pairs = scan.score(message.plan, job.thresholds);
  post({ type: "scored", pairs, work: scan.work });
});
// trainDf is copied, not transferred: phase 2 still reads this scan.
post({ type: "scanned", lines, examples: scan.examples, trainDf: scan.trainDf, exact: scan.exactMatches });
