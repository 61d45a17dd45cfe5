/**
 * The GPU action, on the registry's self-hosted runner: retrain the adapter from the PR's data at the
 * validated sha, convert it to GGUF, evaluate it against the pinned base, and leave the artifacts.
 *
 * PR content is data: the adapter's files are fetched through the API at the head sha (no checkout,
 * nothing executed), re-validated by the shared core, and only then handed to the trainer as JSONL.
 * Results appear in `outDir` all at once, by renaming a finished staging folder: a failed, cancelled
 * or killed run leaves nothing that could be mistaken for a result.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { GIT_SHA_PATTERN, NAME_PATTERN } from "../core/schemas/common.ts";
import { join } from "node:path";
import { allFindings, checkRegistry } from "../core/check.ts";
import { correlationId } from "../core/review/correlation.ts";
import { findingLine } from "../core/findings/findings.ts";
import { evaluateBar } from "../core/evaluation/bar.ts";
import { benchmarksFor, expectedResultsFor } from "../core/contamination/benchmarks-for.ts";
import { renderScorecard } from "../core/evaluation/scorecard.ts";
import { loadRegistryContext, type RegistryContext } from "../core/registry/registry-context.ts";
import { type PinnedBase, pinnedBase } from "../core/schemas/registry.ts";
import { MAX_SEEDS, type Results, ResultsSchema } from "../core/schemas/results.ts";
import { evaluateRegistryAdapter, type HiddenBenchmark } from "../eval/evaluate-adapter.ts";
import { trainingBaseProblems } from "../io/training-base-pins.ts";
import { combineSeedResults, trainingSeeds } from "../core/evaluation/seeds.ts";
import { type ExpectedResults, incompleteness } from "../core/evaluation/completeness.ts";
import { parseResults } from "../core/evaluation/load-results.ts";
import { mergeShards, ShardMergeError, shardCount } from "../core/evaluation/shards.ts";
import type { RegistrySource } from "../core/registry/source.ts";
import type { AdapterManifest } from "../core/schemas/adapter.ts";
import { z } from "zod";
import { promptSample } from "./prompt-sample.ts";
import { modelSample } from "./model-sample.ts";
import { sha256File } from "../io/sha256-file.ts";
import { BaseAnswerStore, keyContextOf } from "../eval/base-answers.ts";
import { EvaluationHarness } from "../eval/harness.ts";
import { modelCachePaths } from "../eval/model-cache.ts";
import { writeResultsAtomically } from "../eval/results-file.ts";
import { currentPullRequest } from "../github/pulls.ts";
import { readPullRequest } from "../github/read-pull-request.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { ActionFailure, trainAdapter } from "./train-adapter.ts";

export { ActionFailure };

export interface ActionInputs {
  pr: number;
  headSha: string;
  adapter: string;
  correlationId: string;
}

export interface RunnerSetup {
  github: GitHub;
  repo: RepoRef;
  /** The runner's model cache: <inference.file> GGUFs and <hub_id with / as -->/<revision>/ folders. */
  modelCache: string;
  /** Scratch space of this job (wiped by the ephemeral runner). */
  workDir: string;
  /** Where the artifacts appear when, and only when, the run succeeded. */
  outDir: string;
  /** argv of the trainer; `--recipe FILE` is appended. */
  trainer: string[];
  /** Sequences decoded together: 1 reproduces answers exactly; more is faster, identical only for some weight types. */
  parallel?: number;
  /**
   * The base-answer cache shared between runs (the workflow restores and saves it with actions/cache):
   * `dir` holds the entries, `run` names this run in the ones it adds. Without it the base still
   * answers once per run, not once per seed.
   */
  answerCache?: { dir: string; run: string };
  /** Maintainers' hidden benchmarks, kept on the runner and never in the repository. */
  hidden?: HiddenBenchmark[];
  gpu?: false | "auto";
  hardware: string;
  /** Aborted when the job is cancelled: the trainer is stopped and nothing is staged. */
  signal?: AbortSignal;
  /** A step output for the workflow ($GITHUB_OUTPUT): `answer-cache-key`, under which to save the answer cache. */
  output?: (name: string, value: string) => void;
  /** Markdown for the job page ($GITHUB_STEP_SUMMARY). */
  summary?: (markdown: string) => void;
  log?: (line: string) => void;
}

/**
 * What one job of the evaluate workflow does (templates/workflows/loragate.yml). `all`: everything on
 * this runner. `train`: train, then plan the runners (config gpu.shards): for one, evaluate as `all`;
 * for more, leave the trained adapters in `trainedDir` for the shard jobs. `shard`: evaluate shard
 * `index` of `count` with those adapters, into `shardDir`. `merge`: merge the shards' results (each
 * item answered exactly once, by the same base and adapters), check them complete, and stage them.
 */
export type ActionStep =
  | { step: "all" }
  | { step: "train"; trainedDir: string }
  | { step: "shard"; index: number; count: number; trainedDir: string; shardDir: string }
  | { step: "merge"; count: number; trainedDir: string; shardsDir: string };

/** The whole run on this runner: train, evaluate, stage. */
export async function runAction(inputs: ActionInputs, setup: RunnerSetup): Promise<Results> {
  return (await runActionStep(inputs, setup, { step: "all" }))!;
}

/** One step of the run; its results (a shard's own for `shard`), or none when `train` handed over to shards. */
export async function runActionStep(
  inputs: ActionInputs,
  setup: RunnerSetup,
  step: ActionStep,
): Promise<Results | undefined> {
  const log = setup.log ?? (() => {});
  rmSync(setup.outDir, { recursive: true, force: true }); // no earlier run's files pass for this one's
  checkInputs(inputs);
  const { github, repo } = setup;

  // 1. The PR must still be at the sha the app validated: data that changed since is not trained on.
  const pr = await currentPullRequest(github, repo, inputs.pr);
  if (pr.headSha !== inputs.headSha)
    throw new ActionFailure(
      `PR #${inputs.pr} moved to ${pr.headSha.slice(0, 12)} after ${inputs.headSha.slice(0, 12)} was validated; this run is superseded (the app evaluates the new head)`,
    );

  // 2. Its files, as data, at that sha; re-validated with the same core as the app and the CLI.
  log(`reading PR #${inputs.pr} at ${inputs.headSha.slice(0, 12)}`);
  const files = await readPullRequest({
    github,
    repo,
    pullNumber: inputs.pr,
    baseSha: pr.baseSha,
    headSha: inputs.headSha,
  });
  if (files.adapters.length !== 1 || files.adapters[0] !== inputs.adapter)
    throw new ActionFailure(`PR #${inputs.pr} does not change exactly adapters/${inputs.adapter}/`);
  // Contamination is checked against the runner's hidden benchmarks too (findings name "hidden:N" and ids only).
  const report = await checkRegistry({
    source: files.source,
    adapter: inputs.adapter,
    hidden: (setup.hidden ?? []).map((h, i) => ({ file: `hidden:${i + 1}`, hidden: true, items: h.items })),
  });
  const errors = [...files.findings, ...allFindings(report)].filter((f) => f.severity === "error");
  const manifest = report.adapters[0]?.manifest;
  if (errors.length > 0 || !manifest)
    throw new ActionFailure(
      `adapters/${inputs.adapter} does not validate at ${inputs.headSha.slice(0, 12)}; nothing was trained:\n${errors
        .slice(0, 20)
        .map(findingLine)
        .join("\n")}`,
    );
  const context = await loadRegistryContext(files.source);
  const { registry, config } = context;
  if (!registry) throw new ActionFailure("registry.yaml does not load");
  const expected = await expectedResultsFor({
    source: files.source,
    adapter: inputs.adapter,
    hiddenBenchmarks: setup.hidden?.length ?? 0,
    headSha: inputs.headSha,
  });
  if (typeof expected === "string") throw new ActionFailure(expected);
  if (step.step === "merge") {
    const results = mergeStep({ step, expected, log });
    stageResults({ setup, adapter: inputs.adapter, results, published: readTrainings(step.trainedDir)[0]! });
    setup.summary?.(renderScorecard({ results, verdict: evaluateBar({ results, config, expected }) }));
    return results;
  }

  // 3. The pinned base, from the runner's cache, both formats checked by sha256 before anything uses them.
  let base: PinnedBase;
  try {
    base = pinnedBase(registry);
  } catch (error) {
    throw new ActionFailure((error as Error).message);
  }
  const { gguf: basePath, trainingBase } = modelCachePaths(base, setup.modelCache);
  if (!existsSync(basePath))
    throw new ActionFailure(`the pinned base ${basePath} is not in the runner's model cache`);
  const baseSha = await sha256File(basePath);
  if (baseSha !== base.inference.sha256)
    throw new ActionFailure(
      `the cached base ${base.inference.file} has sha256 ${baseSha}, registry.yaml pins ${base.inference.sha256}: refresh the runner's model cache`,
    );

  const baseProblems = await trainingBaseProblems(trainingBase, base.training.files);
  if (baseProblems.length > 0)
    throw new ActionFailure(
      `the runner's training base ${trainingBase} is not the one registry.yaml pins (refresh the runner's model cache):\n${baseProblems
        .slice(0, 20)
        .map((p) => `  ${p}`)
        .join("\n")}`,
    );

  // 4. Train from the data, as a file, with adapter.yaml's validated recipe, once per seed the bar
  // asks for (the recipe's seed, then the registry's draws from the commit); 5. convert each to GGUF. A shard
  // job evaluates
  // what the train job trained.
  const seeds = trainingSeeds(manifest.training.seed, config.bar.seeds, inputs.headSha);
  const trainings =
    step.step === "shard"
      ? readTrainings(step.trainedDir)
      : await trainSeeds(inputs, setup, { files, manifest, context, basePath, trainingBase, seeds });
  if (step.step === "train") {
    const items = expected.benchmarks.reduce((n, b) => n + b.items.length, 0);
    const hiddenItems = (setup.hidden ?? []).reduce((n, h) => n + h.items.length, 0);
    const count = shardCount({
      items: items + hiddenItems,
      seeds: seeds.length,
      answersPerRunner: config.gpu.shards.answers_per_runner,
      maxRunners: config.gpu.shards.max_runners,
    });
    setup.output?.("shards", String(count));
    setup.output?.("shard-list", JSON.stringify(Array.from({ length: count }, (_, i) => i)));
    if (count > 1) {
      writeTrainings(step.trainedDir, trainings);
      log(
        `${items + hiddenItems} items and ${seeds.length} training(s): evaluated by ${count} runners, one shard each`,
      );
      return undefined;
    }
  }

  // 6. Evaluate each against the pinned base: own, domain, out-of-domain and hidden benchmarks.
  const shard = step.step === "shard" ? { index: step.index, count: step.count } : undefined;
  const gpu = setup.gpu ?? "auto";
  const baseAnswers = new BaseAnswerStore({
    dir: setup.answerCache?.dir,
    run: setup.answerCache?.run ?? `${inputs.correlationId} on ${setup.hardware}`,
    context: await keyContextOf({ basePath, gpu, hardware: setup.hardware }),
    onSkip: log,
  });
  const harness = await EvaluationHarness.open({ basePath, baseSha256: baseSha, gpu });
  const evaluations: { seed: number; results: Results }[] = [];
  try {
    for (const { seed, training, gguf } of trainings) {
      if (seeds.length > 1) log(`evaluating the adapter trained with seed ${seed}`);
      const results = await evaluateRegistryAdapter({
        source: files.source,
        adapter: inputs.adapter,
        harness,
        adapterPath: gguf,
        headSha: inputs.headSha,
        hardware: setup.hardware,
        settings: { seed: 42, re2: false, parallel: setup.parallel ?? 1 }, // the prompt as trained
        hidden: setup.hidden,
        training,
        baseAnswers,
        shard,
        onProgress: log,
        signal: setup.signal,
      });
      evaluations.push({ seed, results });
    }
  } finally {
    await harness.dispose();
  }
  const results = combineSeedResults(evaluations);
  // one namespace per way of dealing the items: a shard's entries answer its items only
  const cacheKey = baseAnswers.prune(
    `loragate-base-answers-${shard ? `shard-${shard.index}of${shard.count}` : "all"}-`,
  );
  if (cacheKey) setup.output?.("answer-cache-key", cacheKey);
  log(
    `base model: ${baseAnswers.tally.passes} pass${baseAnswers.tally.passes === 1 ? "" : "es"} for ${seeds.length} seed${seeds.length === 1 ? "" : "s"}, ${baseAnswers.tally.items_reused} answers reused`,
  );
  if (step.step === "shard") {
    setup.signal?.throwIfAborted();
    mkdirSync(step.shardDir, { recursive: true });
    writeResultsAtomically(join(step.shardDir, `shard-${step.index}.json`), results);
    return results;
  }

  // 7. Everything at once: stage, then rename into place (a run cancelled by now leaves nothing).
  stageResults({ setup, adapter: inputs.adapter, results, published: trainings[0]! });
  const verdict = evaluateBar({ results, config, expected });
  setup.summary?.(renderScorecard({ results, verdict }));
  return results;
}

/** A trained adapter as the evaluation and the artifacts need it. */
interface Training {
  seed: number;
  training: Results["training"];
  /** The LoRA GGUF. */
  gguf: string;
  /** The trainer's output folder (loss.jsonl, summary.json, PEFT's files). */
  folder: string;
}

async function trainSeeds(
  inputs: ActionInputs,
  setup: RunnerSetup,
  params: {
    files: { source: RegistrySource };
    manifest: AdapterManifest;
    context: RegistryContext;
    basePath: string;
    trainingBase: string;
    seeds: number[];
  },
): Promise<Training[]> {
  const log = setup.log ?? (() => {});
  const { files, manifest, context, basePath, trainingBase, seeds } = params;
  const registry = context.registry!;
  rmSync(setup.workDir, { recursive: true, force: true });
  mkdirSync(setup.workDir, { recursive: true });
  const dataset = join(setup.workDir, "dataset.jsonl");
  writeFileSync(dataset, await files.source.read(`adapters/${inputs.adapter}/${manifest.data.train}`));
  // Every prompt as the evaluation will ask it, and the GGUF's next-token probabilities after a few of the
  // adapter's own: the trainer checks its tokenizer and its weights by them before it trains.
  const applicable = await benchmarksFor({
    source: files.source,
    context,
    adapter: inputs.adapter,
    manifest,
  });
  const ownFile = `adapters/${inputs.adapter}/${manifest.data.benchmark}`;
  const promptCheck = await promptSample({
    basePath,
    benchmarks: [
      ...applicable.map((b) => ({
        label: b.kind === "own" ? ownFile : `benchmark ${b.name}`,
        items: b.items,
      })),
      ...(setup.hidden ?? []).map((h) => ({
        label: `hidden benchmark ${h.label}`,
        items: h.items,
        hidden: true,
      })),
    ],
    thinking: registry.base.thinking,
  });
  const modelCheck = await modelSample({
    basePath,
    label: ownFile,
    items: applicable.find((b) => b.kind === "own")?.items ?? [],
    thinking: registry.base.thinking,
  });
  const trainings: Training[] = [];
  for (const seed of seeds) {
    const workDir = seeds.length === 1 ? setup.workDir : join(setup.workDir, `seed-${seed}`);
    mkdirSync(workDir, { recursive: true });
    const trained = await trainAdapter({
      trainer: setup.trainer,
      manifest: { ...manifest, training: { ...manifest.training, seed } },
      trainingBase,
      dataset,
      workDir,
      log,
      signal: setup.signal,
      promptCheck,
      modelCheck,
      thinking: registry.base.thinking,
    });
    const gguf = join(workDir, `${inputs.adapter}.gguf`);
    writeFileSync(gguf, trained.gguf);
    trainings.push({ seed, training: trained.training, gguf, folder: trained.folder });
  }
  return trainings;
}

/** Everything at once: staged, then renamed into place (a run cancelled by now leaves nothing). */
function stageResults(params: {
  setup: RunnerSetup;
  adapter: string;
  results: Results;
  published: Training;
}): void {
  const { setup, published } = params;
  setup.signal?.throwIfAborted();
  const staging = `${setup.outDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeResultsAtomically(join(staging, "results.json"), params.results);
  copyFileSync(published.gguf, join(staging, `${params.adapter}.gguf`));
  for (const file of ["loss.jsonl", "summary.json", "adapter_config.json", "adapter_model.safetensors"])
    if (existsSync(join(published.folder, file)))
      copyFileSync(join(published.folder, file), join(staging, file));
  renameSync(staging, setup.outDir);
}

const TRAININGS_FILE = "trainings.json";

/** The trained adapters, for the shard and merge jobs (the train job uploads this folder as an artifact). */
function writeTrainings(dir: string, trainings: readonly Training[]): void {
  rmSync(dir, { recursive: true, force: true });
  const records = trainings.map((t, i) => {
    const folder = join(dir, `seed-${t.seed}`);
    mkdirSync(folder, { recursive: true });
    copyFileSync(t.gguf, join(folder, "adapter.gguf"));
    // the published adapter's trainer files go with it into the results artifact
    if (i === 0)
      for (const file of ["loss.jsonl", "summary.json", "adapter_config.json", "adapter_model.safetensors"])
        if (existsSync(join(t.folder, file))) copyFileSync(join(t.folder, file), join(folder, file));
    return { seed: t.seed, training: t.training };
  });
  writeFileSync(join(dir, TRAININGS_FILE), `${JSON.stringify(records)}\n`);
}

const TrainingsSchema = z
  .array(z.object({ seed: z.number().int().min(0), training: ResultsSchema.shape.training }).strict())
  .min(1)
  .max(MAX_SEEDS);

function readTrainings(dir: string): Training[] {
  let records: z.infer<typeof TrainingsSchema>;
  try {
    records = TrainingsSchema.parse(JSON.parse(readFileSync(join(dir, TRAININGS_FILE), "utf8")));
  } catch (error) {
    throw new ActionFailure(
      `the train job's adapters are not in ${dir} (${(error as Error).message.split("\n")[0]}): download the loragate-trained artifact there`,
    );
  }
  return records.map(({ seed, training }) => {
    const folder = join(dir, `seed-${seed}`);
    return { seed, training, gguf: join(folder, "adapter.gguf"), folder };
  });
}

/** The shard jobs' results, merged and checked: each item answered once, every benchmark complete. */
function mergeStep(params: {
  step: Extract<ActionStep, { step: "merge" }>;
  expected: ExpectedResults;
  log: (line: string) => void;
}): Results {
  const { step } = params;
  const shards = Array.from({ length: step.count }, (_, index) => {
    const file = join(step.shardsDir, `shard-${index}.json`);
    if (!existsSync(file))
      throw new ActionFailure(`shard ${index} of ${step.count} has no results (${file})`);
    const loaded = parseResults(readFileSync(file));
    if (!loaded.ok)
      throw new ActionFailure(`shard ${index}'s results do not load: ${loaded.errors.join("; ")}`);
    return loaded.results;
  });
  let results: Results;
  try {
    results = mergeShards(shards);
  } catch (error) {
    if (!(error instanceof ShardMergeError)) throw error;
    throw new ActionFailure(`the shards do not merge: ${error.message}`);
  }
  const problems = incompleteness(results, params.expected);
  if (problems.length)
    throw new ActionFailure(
      `the merged shards are not complete results:\n${problems.slice(0, 20).join("\n")}`,
    );
  params.log(`merged ${step.count} shards: every item answered exactly once`);
  return results;
}

function checkInputs(inputs: ActionInputs): void {
  const problems = [
    Number.isInteger(inputs.pr) && inputs.pr > 0 ? "" : "pr is not a PR number",
    GIT_SHA_PATTERN.test(inputs.headSha) ? "" : "head-sha is not a commit sha",
    NAME_PATTERN.test(inputs.adapter) ? "" : "adapter is not an adapter name",
    inputs.correlationId === correlationId(inputs.pr, inputs.headSha)
      ? ""
      : "correlation-id does not match pr and head-sha",
  ].filter(Boolean);
  if (problems.length) throw new ActionFailure(`invalid inputs: ${problems.join("; ")}`);
}
