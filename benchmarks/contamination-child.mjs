// One contamination check in its own process (peak RSS is its own), on the compiled build.
// Usage: node benchmarks/contamination-child.mjs TRAIN.jsonl ITEMS.jsonl [threads|auto] [repeats]
// With repeats > 1 the whole check runs that many times in this process: `seconds` is the first
// (cold) run, `warmSeconds` the median of the others (the steady state a long run like the
// anchor's is measured in).
import { statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { checkContamination, readBenchmarkItems } from "../dist/core/contamination/check.js";
import { ContaminationConfigSchema } from "../dist/core/schemas/config.js";
import { FsRegistrySource } from "../dist/io/fs-source.js";

const [trainPath, itemsPath, threads, repeats] = process.argv.slice(2);

async function once() {
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
    threads: threads && threads !== "auto" ? Number(threads) : undefined,
  });
  return { items, report, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

const { items, report, seconds } = await once();
const warm = [];
for (let i = 1; i < Number(repeats ?? 1); i++) warm.push((await once()).seconds);
warm.sort((a, b) => a - b);
const warmSeconds = warm.length > 0 ? warm[Math.floor(warm.length / 2)] : seconds;
const docs = report.examples + items.length;
const bytes = statSync(trainPath).size + statSync(itemsPath).size;
console.log(
  JSON.stringify({
    seconds,
    warmSeconds,
    examples: report.examples,
    items: items.length,
    docsPerSecond: docs / seconds,
    warmDocsPerSecond: docs / warmSeconds,
    mbPerSecond: bytes / 1e6 / seconds,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    matches: report.matches.map((m) => `${m.train.line}:${m.benchmark.id}`),
    work: report.work,
  }),
);
