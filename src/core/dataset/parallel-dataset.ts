import { createReadStream } from "node:fs";
import { availableParallelism } from "node:os";
import { type FirstForm, trainingFormOf } from "./conversation.ts";
import {
  type BenchmarkScoring,
  type DatasetKind,
  duplicateFinding,
  duplicateIdFinding,
  notAnObjectFinding,
} from "./line-rules.ts";
import type { DatasetStats } from "./validate-dataset.ts";
import { DuplicateIndex, type FingerprintBatch, type IdBatch, IdIndex } from "./duplicate-index.ts";
import { type FindingSink, type SinkSnapshot, toFinding } from "../findings/findings.ts";
import { streamLines } from "./jsonl.ts";
import { splitAtLineEnds, startWorker, watchWorker } from "./workers.ts";

/** Lines carry their range in the top bits while ranges are still being read. */
const RANGE_SHIFT = 30;
const MAX_THREADS = 4;

export interface RangeJob {
  kind: DatasetKind;
  file: string;
  path: string;
  start: number;
  end: number;
  maxLineBytes: number;
  /** The form of the file's first training record: every range holds its lines to it (mixed-forms). */
  firstForm?: FirstForm;
  scoring?: BenchmarkScoring;
}

export type WorkerMessage =
  | { type: "fingerprints"; batch: FingerprintBatch }
  | { type: "ids"; batch: IdBatch }
  | { type: "done"; stats: DatasetStats; sink: SinkSnapshot };

export interface ParallelParams {
  kind: DatasetKind;
  /** Registry-relative path, used in findings. */
  file: string;
  /** Path on disk. */
  path: string;
  size: number;
  maxLineBytes: number;
  maxRecords?: number;
  sink: FindingSink;
  threads?: number;
  /** A benchmark's own scoring rule, by which items that name none are vetted. */
  scoring?: BenchmarkScoring;
}

/**
 * The same validation as validateDataset, over byte ranges split at line ends, one worker each.
 * Workers stream record fingerprints (and benchmark ids); this thread keeps the one duplicate table
 * and the one id table, so a repeat across ranges is found as in one pass. At the end lines are
 * renumbered and the findings stitched in file order.
 */
export async function validateDatasetInParallel(params: ParallelParams): Promise<DatasetStats> {
  const threads = Math.max(1, Math.min(params.threads ?? availableParallelism(), MAX_THREADS));
  const bounds = await splitAtLineEnds(params.path, params.size, threads);
  const firstForm =
    params.kind === "train"
      ? await firstRecordForm(params.path, params.size, params.maxLineBytes)
      : undefined;
  const table = new DuplicateIndex(1 << 16);
  const repeats: number[] = []; // pairs of tagged lines: copy, original
  const onBatch = (range: number, batch: FingerprintBatch) => {
    const tag = range << RANGE_SHIFT;
    for (let i = 0; i < batch.length; i++) {
      const line = (tag | batch.lines[i]!) >>> 0;
      const other = table.insert(batch.hi[i]!, batch.lo[i]!, line);
      if (other > 0) repeats.push(Math.max(line, other), Math.min(line, other));
    }
  };
  const idBatches: { range: number; batch: IdBatch }[] = [];
  const results = await Promise.all(
    bounds.slice(0, -1).map((start, range) =>
      runRange(
        {
          kind: params.kind,
          file: params.file,
          path: params.path,
          start,
          end: bounds[range + 1]!,
          maxLineBytes: params.maxLineBytes,
          firstForm,
          scoring: params.scoring,
        },
        (message) => {
          if (message.type === "fingerprints") onBatch(range, message.batch);
          else idBatches.push({ range, batch: message.batch });
        },
      ),
    ),
  );

  const offsets: number[] = [];
  const totals: DatasetStats = {
    lines: 0,
    bytes: 0,
    records: 0,
    unique: table.count,
    lfsPointer: results[0]!.stats.lfsPointer,
  };
  let crlfReported = false;
  for (const result of results) {
    offsets.push(totals.lines);
    // A range that starts mid-file repeats file-wide notes; keep the first.
    const findings = result.sink.findings.filter((f) => f.rule !== "crlf-line-endings" || !crlfReported);
    crlfReported ||= findings.some((f) => f.rule === "crlf-line-endings");
    params.sink.absorb(
      { findings, seen: result.sink.seen.filter(([key]) => !key.endsWith("\0crlf-line-endings")) },
      totals.lines,
    );
    totals.lines += result.stats.lines;
    totals.bytes += result.stats.bytes;
    totals.records += result.stats.records;
  }
  const absolute = (tagged: number) => offsets[tagged >>> RANGE_SHIFT]! + (tagged & ((1 << RANGE_SHIFT) - 1));
  // Ranges arrive out of order, so a record seen three times may come back as a chain
  // (c copies b, b copies a); report every copy against the first occurrence, as one thread would.
  const original = new Map<number, number>();
  for (let i = 0; i < repeats.length; i += 2) original.set(absolute(repeats[i]!), absolute(repeats[i + 1]!));
  const first = (line: number): number => {
    let at = line;
    for (let next = original.get(at); next !== undefined; next = original.get(at)) at = next;
    return at;
  };
  const sameIdLines = reportRepeatedIds(idBatches, offsets, params);
  for (const line of [...original.keys()].sort((a, b) => a - b)) {
    // As in one pass: a copied item is reported once, by its repeated id.
    if (!sameIdLines.has(line))
      params.sink.add(toFinding({ file: params.file, ...duplicateFinding(params.kind, line, first(line)) }));
  }
  if (params.maxRecords !== undefined && totals.records > params.maxRecords) {
    params.sink.add({
      file: params.file,
      line: 0,
      field: "",
      rule: "too-many-records",
      severity: "error",
      message: `${totals.records} records, more than ${params.maxRecords}`,
      hint: "split the adapter or ask maintainers to raise limits.max_train_examples",
    });
  }
  return totals;
}

/** Walks every range's ids in file order through one table; returns the lines that repeat an id. */
function reportRepeatedIds(
  batches: { range: number; batch: IdBatch }[],
  offsets: number[],
  params: ParallelParams,
): Set<number> {
  const items: { line: number; id: string; column: number }[] = [];
  for (const { range, batch } of batches)
    for (let i = 0; i < batch.ids.length; i++)
      items.push({ line: offsets[range]! + batch.lines[i]!, id: batch.ids[i]!, column: batch.columns[i]! });
  items.sort((a, b) => a.line - b.line);
  const table = new IdIndex();
  const repeated = new Set<number>();
  for (const { line, id, column } of items) {
    const earlier = table.addOrGet(line, id);
    if (earlier === 0) continue;
    repeated.add(line);
    params.sink.add(toFinding({ file: params.file, ...duplicateIdFinding(line, column, id, earlier) }));
  }
  return repeated;
}

function runRange(
  job: RangeJob,
  onMessage: (message: Exclude<WorkerMessage, { type: "done" }>) => void,
): Promise<Extract<WorkerMessage, { type: "done" }>> {
  return new Promise((resolve, reject) => {
    let done = false;
    const worker = startWorker(import.meta.url, "dataset-worker", job);
    watchWorker(worker, () => done, reject);
    worker.on("message", (message: WorkerMessage) => {
      if (message.type !== "done") onMessage(message);
      else {
        done = true;
        resolve(message);
      }
    });
  });
}

/**
 * The form of the file's first JSON object line, as one pass would find it, read by the same line
 * reader from the file's head only (two lines' worth at most); undefined when the head holds none
 * (each range then judges by its own first record).
 */
async function firstRecordForm(
  path: string,
  size: number,
  maxLineBytes: number,
): Promise<FirstForm | undefined> {
  if (size === 0) return undefined;
  let found: FirstForm | undefined;
  const head = createReadStream(path, { end: Math.min(size, 2 * maxLineBytes) - 1, highWaterMark: 1 << 16 });
  await streamLines(head, maxLineBytes, true, {
    line: (text, line) => {
      if (found) return;
      try {
        const value: unknown = JSON.parse(text);
        // the pass's own rule for what is a record: a JSON object without a forbidden key
        if (!notAnObjectFinding(value, text, line)) found = { form: trainingFormOf(value as object), line };
      } catch {
        // not a record (or the head's cut-off last line): one pass skips it too
      }
    },
    problem: () => {},
  });
  return found;
}
