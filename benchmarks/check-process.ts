/**
 * The whole `loragate check` process, as a contributor runs it: a registry whose adapter brings the
 * 20k-row training set, checked against its own 50 items and the registry's 2,000-item benchmark.
 * Wall time from spawn to exit (Node's start, loading the CLI, validation, contamination, the report).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DATA_DIR } from "./datasets.ts";

const ROOT = join(import.meta.dirname, "..");

/** Lays out the registry once (in benchmarks/.data) and returns its folder and document count. */
function checkRegistry(train: string, items: string): { dir: string; docs: number } {
  const dir = join(DATA_DIR, "check-registry");
  const at = (path: string) => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    return join(dir, path);
  };
  const benchmark = readFileSync(items);
  writeFileSync(at("benchmarks/math/benchmark.jsonl"), benchmark);
  const registry = readFileSync(join(ROOT, "fixtures/registry/registry.yaml"), "utf8").replace(
    /benchmarks:\n[\s\S]*?\nadapters:/,
    `benchmarks:\n  math:\n    path: benchmarks/math/benchmark.jsonl\n    sha256: ${createHash("sha256").update(benchmark).digest("hex")}\n    evaluation: {type: numeric}\nadapters:`,
  );
  writeFileSync(at("registry.yaml"), registry);
  const adapter = "adapters/math-gsm8k";
  const manifest = readFileSync(join(ROOT, "fixtures/registry", adapter, "adapter.yaml"), "utf8")
    .replace("ood_benchmarks: [code, analysis]", "ood_benchmarks: []")
    .replace("version: 0.2.0", "version: 9.0.0");
  writeFileSync(at(`${adapter}/adapter.yaml`), manifest);
  copyFileSync(
    join(ROOT, "fixtures/registry", adapter, "eval/benchmark.jsonl"),
    at(`${adapter}/eval/benchmark.jsonl`),
  );
  copyFileSync(join(ROOT, "fixtures/registry", adapter, "TRAINING_LOG.md"), at(`${adapter}/TRAINING_LOG.md`));
  copyFileSync(train, at(`${adapter}/training/dataset.jsonl`));
  const lines = (path: string) =>
    readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l.trim()).length;
  return { dir, docs: lines(train) + lines(items) + 60 };
}

/** Median wall seconds of `runs` runs of the built CLI with `args`, and the last run's stdout. */
function timeCli(args: string[], runs: number): { seconds: number[]; median: number; stdout: string } {
  const seconds: number[] = [];
  let stdout = "";
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    try {
      stdout = execFileSync(process.execPath, [join(ROOT, "bin/loragate.js"), ...args], {
        encoding: "utf8",
        maxBuffer: 1 << 28,
      });
    } catch (error) {
      stdout = (error as { stdout: string }).stdout; // exit 1: the planted copies are findings
    }
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  seconds.sort((a, b) => a - b);
  return { seconds, median: seconds[Math.floor(runs / 2)]!, stdout };
}

/** Median wall seconds of `runs` `loragate check` processes on the built CLI, and the documents they check. */
export function checkProcessSeconds(train: string, items: string, runs: number) {
  const { dir, docs } = checkRegistry(train, items);
  return { docs, seconds: timeCli(["check", dir, "--format", "json"], runs).median };
}

/**
 * Median wall seconds of `runs` `loragate check` processes on the built CLI, and its document rate;
 * with what bounds it: the CLI's start (`loragate --help`: Node and the bundle's load), the check's own
 * work once warm (the same command repeated in one process), and the CPU time of its first, cold run.
 */
export function benchCheckProcess(train: string, items: string, runs = 5) {
  const { dir, docs } = checkRegistry(train, items);
  const check = timeCli(["check", dir, "--format", "json"], runs);
  const start = timeCli(["--help"], runs).median;
  const inProcess = JSON.parse(
    execFileSync(process.execPath, [join(import.meta.dirname, "check-warm-child.mjs"), dir, "8"], {
      encoding: "utf8",
    }),
  ) as { coldSeconds: number; coldCpuSeconds: number; warmSeconds: number };
  const checked = JSON.parse(check.stdout) as { adapters: { contamination?: { examples: number } }[] };
  return {
    docs,
    examples: checked.adapters[0]?.contamination?.examples ?? 0,
    seconds: check.median,
    all_seconds: check.seconds,
    docsPerSecond: docs / check.median,
    start_seconds: start,
    work_cold_seconds: inProcess.coldSeconds,
    work_cold_cpu_seconds: inProcess.coldCpuSeconds,
    work_warm_seconds: inProcess.warmSeconds,
  };
}
