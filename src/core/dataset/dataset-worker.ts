// Validates one byte range of a dataset in a worker thread and streams the records'
// fingerprints and ids to the parent, which finds repeats across ranges (see parallel-dataset.ts).
import { createReadStream } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { validateDataset } from "./validate-dataset.ts";
import { FingerprintBatcher, IdBatcher } from "./duplicate-index.ts";
import { FindingSink } from "../findings/findings.ts";
import type { RangeJob, WorkerMessage } from "./parallel-dataset.ts";

const job = workerData as RangeJob;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) =>
  parentPort!.postMessage(message, transfer);
const sink = new FindingSink();
const batcher = new FingerprintBatcher((batch) =>
  post({ type: "fingerprints", batch }, [
    batch.hi.buffer,
    batch.lo.buffer,
    batch.lines.buffer,
  ] as ArrayBuffer[]),
);
const ids = new IdBatcher((batch) => post({ type: "ids", batch }));
const stats = await validateDataset({
  kind: job.kind,
  file: job.file,
  chunks: createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 18 }),
  maxLineBytes: job.maxLineBytes,
  sink,
  duplicates: batcher,
  ids,
  atFileStart: job.start === 0,
  firstForm: job.firstForm,
  scoring: job.scoring,
});
batcher.flush();
ids.flush();
post({ type: "done", stats, sink: sink.snapshot() });
