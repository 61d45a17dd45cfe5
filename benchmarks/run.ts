/**
 * Performance benchmarks with their anchors, measured in the same run (npm run bench -- NAME).
 *   validate   streaming validation of a generated 1 GB dataset vs readFile + split + JSON.parse
 * Results are printed and written to benchmarks/results/NAME.json.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ensureTrainingFile } from "./datasets.ts";

const root = join(import.meta.dirname, "..");
const benches: Record<string, () => Promise<Record<string, unknown>>> = { validate: benchValidate };

interface ChildResult {
  mode: string;
  bytes: number;
  records: number;
  seconds: number;
  mbPerSecond: number;
  peakRssMB: number;
}

function child(script: string, ...args: string[]): ChildResult {
  const out = execFileSync(process.execPath, [join(import.meta.dirname, script), ...args], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as ChildResult;
}

async function benchValidate(): Promise<Record<string, unknown>> {
  const big = await ensureTrainingFile(1e9, "train-1gb.jsonl");
  const slice = await ensureTrainingFile(256e6, "train-256mb.jsonl");
  const row = (r: ChildResult) =>
    `${r.mode.padEnd(11)} ${(r.bytes / 1e6).toFixed(0).padStart(5)} MB ${String(r.records).padStart(8)} records ${r.seconds.toFixed(2).padStart(6)} s ${r.mbPerSecond.toFixed(1).padStart(6)} MB/s  peak RSS ${r.peakRssMB.toFixed(0)} MB`;
  // The anchor cannot read 1 GB into one string, so the ratio is taken on a 256 MB prefix.
  const anchor = child("validate-child.mjs", "baseline", slice);
  const same = child("validate-child.mjs", "loragate", slice);
  const gb = child("validate-child.mjs", "loragate", big);
  const gbOneThread = child("validate-child.mjs", "loragate-1", big);
  for (const r of [anchor, same, gb, gbOneThread]) console.log(row(r));
  const ratio = same.mbPerSecond / anchor.mbPerSecond;
  console.log(
    `ratio vs anchor on the same 256 MB: ${ratio.toFixed(2)}x throughput, ${(anchor.peakRssMB / same.peakRssMB).toFixed(2)}x less memory`,
  );
  console.log(
    `goal: >= 100 MB/s and < 256 MB peak RSS on 1 GB: ${gb.mbPerSecond >= 100 && gb.peakRssMB < 256 ? "met" : "NOT met"}`,
  );
  return {
    anchor,
    loragate_256mb: same,
    loragate_1gb: gb,
    loragate_1gb_one_thread: gbOneThread,
    ratio_throughput_vs_anchor: ratio,
  };
}

const name = process.argv[2] ?? "validate";
const bench = benches[name];
if (!bench) {
  console.error(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(", ")}`);
  process.exit(2);
}
execFileSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "inherit" });
const result = await bench();
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
writeFileSync(
  join(import.meta.dirname, "results", `${name}.json`),
  `${JSON.stringify({ date: new Date().toISOString(), machine, ...result }, null, 2)}\n`,
);
