/**
 * `loragate eval`: the evaluation harness from the command line, on one benchmark file or on an
 * adapter of a registry folder (what the GPU action runs). results.json is written whole or not at all.
 */
import { basename } from "node:path";
import { mean } from "../core/evaluation/statistics.ts";
import { EVALUATION_TYPES } from "../core/schemas/common.ts";
import type { BenchmarkItem } from "../core/schemas/records.ts";
import type { Results } from "../core/schemas/results.ts";
import { readBenchmarkFile } from "../io/benchmark-file.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import { evaluateRegistryAdapter } from "../eval/evaluate-adapter.ts";
import { EvaluationInputError } from "../eval/gguf-file.ts";
import { sha256File } from "../io/sha256-file.ts";
import { BaseAnswerStore, keyContextOf } from "../eval/base-answers.ts";
import { EvaluationHarness } from "../eval/harness.ts";
import { writeResultsAtomically } from "../eval/results-file.ts";
import { EVAL_USAGE } from "./eval-usage.ts";
import { outputFileProblem } from "./output-folder.ts";
import { inputFileProblem } from "./input-files.ts";
import { evaluateToResults } from "../eval/run-evaluation.ts";
import type { EvaluationType } from "../core/evaluation/scoring.ts";

export interface EvalOptions {
  base?: string;
  adapter?: string;
  benchmark?: string;
  registry?: string;
  name?: string;
  out?: string;
  type: string;
  maxTokens?: string;
  parallel?: string;
  re2: boolean;
  seed?: string;
  threads?: string;
  /** --cache DIR: the base's answers kept there and reused under the same key. */
  cache?: string;
}

const positiveInt = (value: string | undefined, flag: string, fallback: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 4096)
    throw new EvaluationInputError(`${flag} must be 1-4096, got ${value}`);
  return n;
};

export async function runEval(
  options: EvalOptions,
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  const missing = evalMissing(options);
  if (missing || !options.base) {
    io.stderr(`loragate: eval needs ${missing}\nusage:\n${EVAL_USAGE}\n`);
    return 2;
  }
  if (options.out && !options.adapter) {
    io.stderr("loragate: results.json compares an adapter with its base: pass --adapter with --out\n");
    return 2;
  }
  const outProblem = options.out ? outputFileProblem(options.out) : undefined;
  if (outProblem) {
    io.stderr(`loragate: ${outProblem}\n`);
    return 2;
  }
  let harness: EvaluationHarness | undefined;
  try {
    const settings = {
      seed: positiveInt(options.seed, "--seed", 42),
      parallel: positiveInt(options.parallel, "--parallel", 1),
      re2: options.re2,
    };
    const items = options.registry ? undefined : await benchmarkFileItems(options);
    harness = await EvaluationHarness.open({
      basePath: options.base,
      threads: options.threads ? positiveInt(options.threads, "--threads", 1) : undefined,
    });
    const progress = (message: string) => io.stderr(`  ${message}\n`);
    const baseAnswers = new BaseAnswerStore({
      dir: options.cache,
      run: `loragate eval at ${new Date().toISOString()}`,
      context: await keyContextOf({ basePath: options.base, gpu: false, hardware: "local CPU" }),
      onSkip: progress,
    });
    const results = options.registry
      ? await evaluateRegistryAdapter({
          source: new FsRegistrySource(options.registry),
          adapter: options.name ?? "",
          harness,
          adapterPath: options.adapter!,
          headSha: "0".repeat(40),
          hardware: "local CPU",
          settings,
          baseAnswers,
          onProgress: progress,
        })
      : await evaluateFile(
          harness,
          options,
          items!,
          { ...settings, maxTokens: positiveInt(options.maxTokens, "--max-tokens", 512) },
          progress,
          baseAnswers,
        );
    for (const b of results.benchmarks) {
      const base = mean(b.outcomes.map((o) => o.base));
      const adapter = mean(b.outcomes.map((o) => o.adapter));
      const cut = b.generation ? `, cut at max tokens: base ${b.generation.base.max_tokens}` : "";
      io.stdout(
        options.adapter
          ? `${b.name}: base ${base.toFixed(3)} → adapter ${adapter.toFixed(3)} (${b.outcomes.length} items${cut}, adapter ${b.generation?.adapter.max_tokens ?? 0})\n`
          : `${b.name}: base ${base.toFixed(3)} (${b.outcomes.length} items${cut})\n`,
      );
      for (const problem of b.problems ?? []) io.stdout(`  ${problem}\n`);
    }
    if (options.out) writeResultsTo(options.out, results);
    return 0;
  } catch (error) {
    if (!(error instanceof EvaluationInputError)) throw error;
    io.stderr(`loragate: ${error.message}\n`);
    return 2;
  } finally {
    await harness?.dispose();
  }
}

/** results.json at `out`; a write the system refuses (a full disk, no permission) is exit 2 naming it. */
function writeResultsTo(out: string, results: Results): void {
  try {
    writeResultsAtomically(out, results);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    throw new EvaluationInputError(`--out ${out} could not be written (${code})`);
  }
}

/** The required option `options` lacks, as its usage names it. */
function evalMissing(options: EvalOptions): string | undefined {
  if (!options.base) return "--base B.gguf";
  if (!options.benchmark && !options.registry)
    return "--benchmark F.jsonl (or --registry DIR --name ADAPTER)";
  if (options.registry && !options.adapter) return "--adapter A.gguf (with --registry)";
  return undefined;
}

/** The items of --benchmark, read whole before any model loads: a line that is not an item is refused, not skipped. */
async function benchmarkFileItems(options: EvalOptions): Promise<BenchmarkItem[]> {
  const file = options.benchmark!;
  const problem = inputFileProblem(file, "--benchmark", Number.MAX_SAFE_INTEGER);
  if (problem) throw new EvaluationInputError(problem);
  if (!(EVALUATION_TYPES as readonly string[]).includes(options.type))
    throw new EvaluationInputError(`--type must be one of ${EVALUATION_TYPES.join(", ")}`);
  const items = await readBenchmarkFile(file, file).catch((error: Error) => {
    throw new EvaluationInputError(error.message);
  });
  if (items.length === 0) throw new EvaluationInputError(`${file} has no benchmark items`);
  return items;
}

async function evaluateFile(
  harness: EvaluationHarness,
  options: EvalOptions,
  items: BenchmarkItem[],
  settings: { seed: number; parallel: number; re2: boolean; maxTokens: number },
  onProgress: (message: string) => void,
  baseAnswers: BaseAnswerStore,
): Promise<Results> {
  const name = options.name ?? "local";
  return evaluateToResults({
    subject: {
      adapter: name,
      domain: name,
      version: "0.0.0",
      head_sha: "0".repeat(40),
      hardware: "local CPU",
      baseId: basename(options.base!),
    },
    harness,
    adapterPath: options.adapter,
    benchmarks: [
      {
        name: "own",
        kind: "own",
        sha256: await sha256File(options.benchmark!),
        items,
        evaluationType: options.type as EvaluationType,
        maxTokens: settings.maxTokens,
      },
    ],
    settings,
    baseAnswers,
    onProgress,
  });
}
