/**
 * The GPU action, on the registry's self-hosted runner: retrain the adapter from the PR's data at the
 * validated sha, convert it to GGUF, evaluate it against the pinned base, and leave the artifacts.
 *
 * PR content is data: the adapter's files are fetched through the API at the head sha (no checkout,
 * nothing executed), re-validated by the shared core, and only then handed to the trainer as JSONL.
 * Results appear in `outDir` all at once, by renaming a finished staging folder: a failed, cancelled
 * or killed run leaves nothing that could be mistaken for a result.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { GIT_SHA_PATTERN, NAME_PATTERN } from "../core/schemas/common.ts";
import { join } from "node:path";
import { allFindings, checkRegistry } from "../core/check.ts";
import { correlationId } from "../core/review/correlation.ts";
import { findingLine } from "../core/findings/findings.ts";
import { evaluateBar } from "../core/evaluation/bar.ts";
import { expectedResultsFor } from "../core/evaluation/benchmarks-for.ts";
import { renderScorecard } from "../core/evaluation/scorecard.ts";
import { loadRegistryContext } from "../core/registry/registry-context.ts";
import { type PinnedBase, pinnedBase } from "../core/schemas/registry.ts";
import type { Results } from "../core/schemas/results.ts";
import { evaluateRegistryAdapter, type HiddenBenchmark } from "../eval/evaluate-adapter.ts";
import { trainingBaseProblems } from "../io/training-base-pins.ts";
import { combineSeedResults, trainingSeeds } from "../core/evaluation/seeds.ts";
import { readBenchmarkItems } from "../core/contamination/check.ts";
import { promptSample } from "./prompt-sample.ts";
import { sha256File } from "../io/sha256-file.ts";
import { EvaluationHarness } from "../eval/harness.ts";
import { modelCachePaths } from "../eval/model-cache.ts";
import { writeResultsAtomically } from "../eval/results-file.ts";
import { currentPullRequest } from "../github/pulls.ts";
import { readPullRequest } from "../github/read-pull-request.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { ActionFailure, trainAdapter, type TrainedAdapter } from "./train-adapter.ts";

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
  /** Maintainers' hidden benchmarks, kept on the runner and never in the repository. */
  hidden?: HiddenBenchmark[];
  gpu?: false | "auto";
  hardware: string;
  /** Aborted when the job is cancelled: the trainer is stopped and nothing is staged. */
  signal?: AbortSignal;
  /** Markdown for the job page ($GITHUB_STEP_SUMMARY). */
  summary?: (markdown: string) => void;
  log?: (line: string) => void;
}

export async function runAction(inputs: ActionInputs, setup: RunnerSetup): Promise<Results> {
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
  const { registry, config } = await loadRegistryContext(files.source);
  if (!registry) throw new ActionFailure("registry.yaml does not load");

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
  // asks for (the recipe's seed, then the registry's draws from the commit); 5. convert each to GGUF.
  rmSync(setup.workDir, { recursive: true, force: true });
  mkdirSync(setup.workDir, { recursive: true });
  const dataset = join(setup.workDir, "dataset.jsonl");
  writeFileSync(dataset, await files.source.read(`adapters/${inputs.adapter}/${manifest.data.train}`));
  // The adapter's own prompts as the evaluation will ask them: the trainer checks its tokenizer by them.
  const ownFile = `adapters/${inputs.adapter}/${manifest.data.benchmark}`;
  const promptCheck = await promptSample({
    basePath,
    items: await readBenchmarkItems(files.source, ownFile, config.limits.max_line_bytes),
    file: ownFile,
    gpu: setup.gpu,
  });
  const seeds = trainingSeeds(manifest.training.seed, config.bar.seeds, inputs.headSha);
  const trainings: { seed: number; trained: TrainedAdapter; gguf: string }[] = [];
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
    });
    const gguf = join(workDir, `${inputs.adapter}.gguf`);
    writeFileSync(gguf, trained.gguf);
    trainings.push({ seed, trained, gguf });
  }
  const [published] = trainings as [(typeof trainings)[number]];

  // 6. Evaluate each against the pinned base: own, domain, out-of-domain and hidden benchmarks.
  const harness = await EvaluationHarness.open({ basePath, baseSha256: baseSha, gpu: setup.gpu ?? "auto" });
  const evaluations: { seed: number; results: Results }[] = [];
  try {
    for (const { seed, trained, gguf } of trainings) {
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
        training: trained.training,
        onProgress: log,
        signal: setup.signal,
      });
      evaluations.push({ seed, results });
    }
  } finally {
    await harness.dispose();
  }
  const results = combineSeedResults(evaluations);

  // 7. Everything at once: stage, then rename into place (a run cancelled by now leaves nothing).
  setup.signal?.throwIfAborted();
  const staging = `${setup.outDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeResultsAtomically(join(staging, "results.json"), results);
  copyFileSync(published.gguf, join(staging, `${inputs.adapter}.gguf`));
  const folder = published.trained.folder;
  for (const file of ["loss.jsonl", "summary.json", "adapter_config.json", "adapter_model.safetensors"])
    if (existsSync(join(folder, file))) copyFileSync(join(folder, file), join(staging, file));
  renameSync(staging, setup.outDir);
  const expected = await expectedResultsFor({
    source: files.source,
    adapter: inputs.adapter,
    hiddenBenchmarks: setup.hidden?.length ?? 0,
    headSha: inputs.headSha,
  });
  const verdict = evaluateBar({ results, config, ...(typeof expected === "string" ? {} : { expected }) });
  setup.summary?.(renderScorecard({ results, verdict }));
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
