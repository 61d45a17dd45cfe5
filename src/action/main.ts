/**
 * Entry of the loragate GitHub Action (action/action.yml): inputs and the runner's environment in,
 * runAction, and on failure one clear error for the job page and the app. Bundled into
 * action/dist/main.js by `npm run build:action`.
 */
import { HIDDEN_PINS_VARIABLE, hiddenPinProblems, parseHiddenPins } from "../core/evaluation/hidden-pins.ts";
import { appendFileSync, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import type { HiddenBenchmark } from "../eval/evaluate-adapter.ts";
import { EvaluationInputError } from "../eval/gguf-file.ts";
import { sha256File } from "../io/sha256-file.ts";
import { readBenchmarkFile } from "../io/benchmark-file.ts";
import { ActionFailure, type ActionStep, runActionStep } from "./run-action.ts";
import { trainerScript } from "./train-adapter.ts";

/** GitHub passes action inputs as INPUT_<NAME> (upper-cased, dashes kept). */
const input = (name: string) => (process.env[`INPUT_${name.toUpperCase()}`] ?? "").trim();

/**
 * Maintainers' hidden benchmarks on the runner, labelled "hidden N": no file name reaches a PR. A folder
 * that is named but not there, or a file that is not a valid benchmark, ends the run: evaluated without
 * them, or without some of their items, the bar's hidden rule would judge less than the maintainers keep.
 */
async function hiddenBenchmarks(dir: string | undefined): Promise<HiddenBenchmark[]> {
  const pinned = parseHiddenPins(process.env[HIDDEN_PINS_VARIABLE]);
  if ("problem" in pinned) throw new ActionFailure(pinned.problem);
  const hidden = await readHiddenBenchmarks(dir);
  // evaluated with a file the operator did not pin, or without one, the hidden rule judges other items
  const problems = pinned.pins
    ? hiddenPinProblems(
        hidden.map((b) => ({ name: b.label, sha256: b.sha256 })),
        pinned.pins,
      )
    : [];
  if (problems.length > 0)
    throw new ActionFailure(`hidden benchmarks on this runner: ${problems.join("; ")}`);
  return hidden;
}

async function readHiddenBenchmarks(dir: string | undefined): Promise<HiddenBenchmark[]> {
  if (!dir) return [];
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ActionFailure(`LORAGATE_HIDDEN_DIR ${dir} is not a folder on this runner`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort();
  return Promise.all(
    files.map(async (file, i) => {
      const label = `hidden ${i + 1}`;
      const path = join(dir, file);
      const items = await readBenchmarkFile(path, label).catch((error: Error) => {
        throw new ActionFailure(`${error.message} (a hidden benchmark on this runner)`);
      });
      return { label, sha256: await sha256File(path), items };
    }),
  );
}

/**
 * LORAGATE_PARALLEL: items answered at once (runners/README.md). A typo would otherwise become 1 through
 * `Number(...) || 1`, or a negative count that fails only when results.json is written, after the training.
 */
function parallelSequences(value: string | undefined): number {
  if (value === undefined || value === "") return 1;
  if (!/^[1-9]\d{0,2}$/.test(value))
    throw new ActionFailure(`LORAGATE_PARALLEL must be a whole number from 1 to 999, not "${value}"`);
  return Number(value);
}

/**
 * The step input (action.yml): what this job of the evaluate workflow does. The folders are fixed
 * under the workspace, where the workflow uploads and downloads the artifacts that join the jobs.
 */
function actionStep(workspace: string): ActionStep {
  const step = input("step") || "all";
  const whole = (name: string, min: number) => {
    const value = input(name);
    if (!/^\d{1,3}$/.test(value) || Number(value) < min)
      throw new ActionFailure(`${name} must be a whole number from ${min}, not "${value}" (step ${step})`);
    return Number(value);
  };
  const trainedDir = join(workspace, "loragate-trained");
  switch (step) {
    case "all":
      return { step };
    case "train":
      return { step, trainedDir };
    case "shard": {
      const count = whole("shards", 2);
      const index = whole("shard", 0);
      if (index >= count) throw new ActionFailure(`shard ${index} is not one of ${count} shards`);
      return { step, index, count, trainedDir, shardDir: join(workspace, "loragate-shard") };
    }
    case "merge":
      return { step, count: whole("shards", 2), trainedDir, shardsDir: join(workspace, "loragate-shards") };
    default:
      throw new ActionFailure(`step must be all, train, shard or merge, not "${step}"`);
  }
}

async function main(): Promise<number> {
  // A cancelled job gets SIGINT, then SIGTERM: stop the trainer and stage nothing, then exit.
  const cancel = new AbortController();
  for (const name of ["SIGINT", "SIGTERM"] as const)
    process.once(name, () =>
      cancel.abort(new ActionFailure(`the run was cancelled (${name}); nothing was uploaded`)),
    );
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? "/").split("/");
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  const summary = (markdown: string) => summaryFile && appendFileSync(summaryFile, `${markdown}\n`);
  const outputFile = process.env.GITHUB_OUTPUT;
  const output = (name: string, value: string) =>
    outputFile && appendFileSync(outputFile, `${name}=${value}\n`);
  const runUrl = `${process.env.GITHUB_SERVER_URL ?? "https://github.com"}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}`;
  try {
    const results = await runActionStep(
      {
        pr: Number(input("pr")),
        headSha: input("head-sha"),
        adapter: input("adapter"),
        correlationId: input("correlation-id"),
      },
      {
        github: new Octokit({ auth: input("github-token"), userAgent: "loragate-action" }),
        repo: { owner: owner!, repo: repo! },
        modelCache: process.env.LORAGATE_MODEL_CACHE ?? "/models",
        workDir: join(process.env.RUNNER_TEMP ?? workspace, "loragate-work"),
        outDir: join(workspace, "loragate-out"),
        // The trainer environment's Python (runners/README.md): the image sets LORAGATE_TRAINER_PYTHON.
        trainer: [
          process.env.LORAGATE_TRAINER_PYTHON ?? "python3",
          trainerScript(join(import.meta.dirname, "..", "..")),
        ],
        parallel: parallelSequences(process.env.LORAGATE_PARALLEL),
        hidden: await hiddenBenchmarks(process.env.LORAGATE_HIDDEN_DIR),
        hardware: process.env.LORAGATE_HARDWARE ?? process.env.RUNNER_NAME ?? "self-hosted runner",
        // the workflow restores and saves this folder with actions/cache (templates/workflows/loragate.yml)
        ...(process.env.LORAGATE_ANSWER_CACHE
          ? { answerCache: { dir: process.env.LORAGATE_ANSWER_CACHE, run: runUrl } }
          : {}),
        signal: cancel.signal,
        summary,
        output,
        log: (line) => console.log(line),
      },
      actionStep(workspace),
    );
    if (results) console.log(`results written: ${results.benchmarks.length} benchmarks`);
    return 0;
  } catch (error) {
    if (!(error instanceof ActionFailure || error instanceof EvaluationInputError)) throw error;
    // One annotation per line keeps multi-line reasons readable on the job page.
    for (const line of error.message.split("\n")) console.log(`::error::${line}`);
    summary(`## loragate: ❌ not evaluated\n\n\`\`\`\n${error.message}\n\`\`\``);
    return 1;
  }
}

process.exitCode = await main();
