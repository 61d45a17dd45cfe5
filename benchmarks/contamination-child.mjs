// One contamination check in its own process (peak RSS is its own), on the compiled build.
// Usage: node benchmarks/contamination-child.mjs TRAIN.jsonl ITEMS.jsonl [threads]
import { dirname, basename } from "node:path";
import { statSync } from "node:fs";
import { checkContamination, readBenchmarkItems } from "../dist/core/contamination/check.js";
import { ContaminationConfigSchema } from "../dist/core/schemas/config.js";
import { FsRegistrySource } from "../dist/io/fs-source.js";

const [trainPath, itemsPath, threads] = process.argv.slice(2);
const start = process.hrtime.bigint();
const items = await readBenchmarkItems(
  new FsRegistrySource(dirname(itemsPath)),
  basename(itemsPath),
  1 << 20,
);
const report = await checkContamination({
  source: new FsRegistrySource(dirname(trainPath)),
  trainFile: basename(trainPath),
  benchmarks: [{ file: "items.jsonl", hidden: false, items }],
  config: ContaminationConfigSchema.parse(undefined),
  maxLineBytes: 1 << 20,
  threads: threads ? Number(threads) : undefined,
});
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const bytes = statSync(trainPath).size + statSync(itemsPath).size;
console.log(
  JSON.stringify({
    seconds,
    examples: report.examples,
    items: items.length,
    docsPerSecond: (report.examples + items.length) / seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    matches: report.matches.map((m) => `${m.train.line}:${m.benchmark.id}`),
    work: report.work,
  }),
);
