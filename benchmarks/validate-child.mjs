// One measurement in its own process, so peak RSS is its own. Plain JavaScript on the compiled
// build (what ships; `npm run build` first), so no TypeScript loader sits in the measured process.
// Usage: node benchmarks/validate-child.mjs MODE FILE
//   loragate     what `loragate check` runs on a large local file: worker threads over byte ranges
//   loragate-1   validateDataset on one thread, streamed (what the app runs on fetched files)
//   baseline     readFile + split + JSON.parse (the anchor)
//   invalid      validateDataset on one thread over a file whose every line fails (records = lines)
import { createReadStream, readFileSync, statSync } from "node:fs";
import { validateDataset } from "../dist/core/dataset/validate-dataset.js";
import { FindingSink } from "../dist/core/findings/findings.js";
import { validateDatasetInParallel } from "../dist/core/dataset/parallel-dataset.js";

const [mode, file] = process.argv.slice(2);
const bytes = statSync(file).size;
const start = process.hrtime.bigint();
let records = 0;
if (mode === "baseline") {
  // Node strings stop at ~512 MiB: this anchor cannot hold a 1 GB file at once.
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line) {
      JSON.parse(line);
      records++;
    }
  }
} else {
  const sink = new FindingSink();
  const common = { kind: "train", file, maxLineBytes: 1 << 20, sink };
  const stats =
    mode === "loragate"
      ? await validateDatasetInParallel({ ...common, path: file, size: bytes })
      : await validateDataset({ ...common, chunks: createReadStream(file, { highWaterMark: 1 << 20 }) });
  if (mode === "invalid") {
    records = stats.lines;
    if (stats.records > 0) throw new Error("every line of this file should fail");
  } else {
    records = stats.unique;
    if (sink.finish().length > 0) throw new Error("the generated dataset should be clean");
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const peakRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ mode, bytes, records, seconds, mbPerSecond: bytes / 1e6 / seconds, peakRssMB }));
