import { validateDataset } from "../dataset/validate-dataset.ts";
import { parallelReadPath } from "../dataset/workers.ts";
import { FindingSink } from "../findings/findings.ts";
import type { ContaminationConfig } from "../schemas/config.ts";
import type { BenchmarkItem } from "../schemas/records.ts";
import type { RegistrySource } from "../registry/source.ts";
import { type BenchmarkInput, buildBenchmarkIndex } from "./benchmark-index.ts";
import { type BoilerplateRule, DEFAULT_BOILERPLATE, type RawContamination, scanInProcess } from "./engine.ts";
import { scanInWorkers } from "./parallel.ts";
import { buildReport, type ContaminationReport } from "./report.ts";
import type { TrainingText } from "../dataset/conversation.ts";
import { forEachTrainingExample } from "./training-lines.ts";

export interface ContaminationParams {
  source: RegistrySource;
  /** Registry-relative path of the training JSONL. */
  trainFile: string;
  benchmarks: readonly BenchmarkInput[];
  config: ContaminationConfig;
  maxLineBytes: number;
  threads?: number;
}

/**
 * Compares every training example with every benchmark item: exact (normalized) copies, and,
 * through one n-gram index, containment of an item in an example and Jaccard similarity, both
 * computed exactly for every pair that could reach a threshold (see README: Contamination).
 */
export async function checkContamination(params: ContaminationParams): Promise<ContaminationReport> {
  const { config } = params;
  const thresholds = { containment: config.containment, jaccard: config.jaccard };
  const boilerplate: BoilerplateRule = {
    ...DEFAULT_BOILERPLATE,
    trainShare: config.boilerplate.train_share,
    benchmarkShare: config.boilerplate.benchmark_share,
  };
  const index = buildBenchmarkIndex(params.benchmarks, config.ngram, boilerplate);
  const entry = await params.source.stat(params.trainFile);
  const localPath =
    entry && parallelReadPath(params.source, params.trainFile, entry.size, "contamination", params.threads);
  let raw: RawContamination;
  if (entry && localPath) {
    raw = await scanInWorkers({
      index,
      path: localPath,
      size: entry.size,
      maxLineBytes: params.maxLineBytes,
      thresholds,
      boilerplate,
      threads: params.threads,
    });
  } else {
    const chunks = params.source.stream(params.trainFile);
    const feed = (add: (line: number, example: TrainingText) => void) =>
      forEachTrainingExample(chunks, { maxLineBytes: params.maxLineBytes, atFileStart: true }, add);
    raw = await scanInProcess({ index, feed, thresholds, boilerplate });
  }
  return buildReport(raw, index, params.trainFile, thresholds);
}

/** The valid items of a benchmark JSONL in a registry source (its problems are validation's to report). */
export async function readBenchmarkItems(
  source: RegistrySource,
  file: string,
  maxLineBytes: number,
): Promise<BenchmarkItem[]> {
  const items: BenchmarkItem[] = [];
  await validateDataset({
    kind: "benchmark",
    file,
    chunks: source.stream(file),
    maxLineBytes,
    sink: new FindingSink(0),
    onRecord: (item) => items.push(item),
  });
  return items;
}
