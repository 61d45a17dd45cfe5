/**
 * The demo's evaluation: one PR's path after `check`. The bundled registry's adapter is retrained from
 * its data by runners/trainer/train.py on the pinned tiny base (where the trainer's Python environment
 * exists; else the adapters that train.py made from the same data, committed in fixtures/trained/, and
 * the demo says so), evaluated by llama.cpp, judged by the bar and rendered as the scorecard the app
 * would post; then the same data with shuffled answers goes the same way and fails.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { checkoutTrainerPython, trainAdapter, trainerScript } from "../action/train-adapter.ts";
import { evaluateBar } from "../core/evaluation/bar.ts";
import { expectedResultsFor } from "../core/contamination/benchmarks-for.ts";
import { mergeRecord } from "../core/registry/merge-record.ts";
import { applyMerge, type MergedAdapter } from "../core/registry/registry-update.ts";
import { renderSite } from "../core/site/render-site.ts";
import { EVALUATIONS_DIR, readSiteInputs } from "../core/site/site-inputs.ts";
import { MemoryRegistrySource } from "../io/memory-source.ts";
import { renderScorecard } from "../core/evaluation/scorecard.ts";
import { renderScorecardText } from "../core/evaluation/scorecard-text.ts";
import { loadRegistryContext } from "../core/registry/registry-context.ts";
import type { AdapterManifest } from "../core/schemas/adapter.ts";
import type { Results } from "../core/schemas/results.ts";
import { evaluateRegistryAdapter } from "../eval/evaluate-adapter.ts";
import { FIXTURE_ADAPTER, fixtureBaseOf, fixtureManifest, shuffleAnswers } from "../eval/fixture-model.ts";
import { EvaluationHarness } from "../eval/harness.ts";
import { writeModelCache } from "../eval/model-cache.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import { DEMO_MARKER } from "./demo-out.ts";
import { replaceFolder, writeFiles } from "./output-folder.ts";

/**
 * What the demo trains on: the fixture adapter's data as submitted, and with its answers shuffled. The
 * words fit an adapter trained now and one trained earlier alike.
 */
const DEMO_VARIANTS = [
  { name: "trained", what: "its data", data: (jsonl: string) => jsonl },
  { name: "shuffled", what: "the same data with shuffled answers", data: shuffleAnswers },
] as const;
export type DemoVariant = (typeof DEMO_VARIANTS)[number]["name"];

export interface DemoAdapter {
  gguf: Buffer;
  training: Results["training"];
}

/** The committed adapters (fixtures/trained/), written by scripts/train-fixture-adapters.ts. */
export const committedAdapterPath = (
  registryRoot: string,
  variant: DemoVariant,
  ext: "gguf" | "training.json",
) => join(registryRoot, "..", "trained", `${FIXTURE_ADAPTER}-${variant}.${ext}`);

/** The checkout that holds the bundled registry (fixtures/registry). */
const checkoutOf = (registryRoot: string) => join(registryRoot, "..", "..");

/** The trainer's Python of the checkout that holds the registry; undefined when there is none. */
export function trainerPython(registryRoot: string): string | undefined {
  const python = checkoutTrainerPython(checkoutOf(registryRoot));
  return existsSync(python) ? python : undefined;
}

/** Trains every demo variant with train.py on the registry's pinned base (laid out in `cacheDir`). */
export async function trainDemoAdapters(params: {
  registryRoot: string;
  python: string;
  workDir: string;
  trainingBase: string;
  manifest: AdapterManifest;
  log: (line: string) => void;
  /** Stops the trainer (see asCliProcess). */
  signal?: AbortSignal;
}): Promise<Map<DemoVariant, DemoAdapter>> {
  const data = readFileSync(
    join(params.registryRoot, "adapters", FIXTURE_ADAPTER, params.manifest.data.train),
    "utf8",
  );
  const trained = new Map<DemoVariant, DemoAdapter>();
  for (const variant of DEMO_VARIANTS) {
    const workDir = join(params.workDir, variant.name);
    mkdirSync(workDir, { recursive: true });
    const dataset = join(workDir, "dataset.jsonl");
    writeFileSync(dataset, variant.data(data));
    params.log(`training on ${variant.what}:`);
    const { gguf, training } = await trainAdapter({
      trainer: [params.python, trainerScript(checkoutOf(params.registryRoot))],
      manifest: params.manifest,
      trainingBase: params.trainingBase,
      dataset,
      workDir,
      log: (line) => isMilestone(line) && params.log(`  ${line.trim()}`),
      signal: params.signal,
    });
    trained.set(variant.name, { gguf, training });
  }
  return trained;
}

/** The trainer's lines worth showing here: what it trains, and every 250th step's loss. */
function isMilestone(line: string): boolean {
  const step = /^step (\d+)\/(\d+)/.exec(line.trim());
  return step ? Number(step[1]) % 250 === 0 || step[1] === step[2] : line.startsWith("training ");
}

export async function runDemoEvaluation(
  root: string,
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
  options: { signal?: AbortSignal; out: string; format: "text" | "markdown" },
): Promise<boolean> {
  const { signal } = options;
  const source = new FsRegistrySource(root);
  const { registry, config } = await loadRegistryContext(source);
  if (!registry) throw new Error("the bundled registry.yaml does not load");
  const dir = mkdtempSync(join(tmpdir(), "loragate-demo-work-")); // apart from the outputs (newDemoOut)
  let harness: EvaluationHarness | undefined;
  try {
    const paths = writeModelCache({ registry, cacheDir: join(dir, "models"), ...fixtureBaseOf(root) });
    const { adapters, trainedBy } = await demoAdapters({
      root,
      dir,
      trainingBase: paths.trainingBase,
      io,
      signal,
    });

    io.stderr(`\nEvaluating ${FIXTURE_ADAPTER} on the pinned tiny base (llama.cpp, CPU, greedy):\n`);
    harness = await EvaluationHarness.open({
      basePath: paths.gguf,
      baseSha256: registry.base.inference.sha256,
    });
    const verdicts = new Map<DemoVariant, boolean>();
    const kept = new Map<string, string | Buffer>([
      [registry.base.inference.file!, readFileSync(paths.gguf)],
    ]);
    let merged: MergedAdapter | undefined;
    for (const variant of DEMO_VARIANTS) {
      const adapterFile = `${FIXTURE_ADAPTER}-${variant.name}.gguf`;
      const adapterPath = join(dir, adapterFile);
      writeFileSync(adapterPath, adapters.get(variant.name)!.gguf);
      kept.set(adapterFile, adapters.get(variant.name)!.gguf);
      io.stderr(`the adapter trained on ${variant.what}:\n`);
      const results = await evaluateRegistryAdapter({
        source,
        adapter: FIXTURE_ADAPTER,
        harness,
        adapterPath,
        headSha: "0".repeat(40),
        hardware: "local CPU (demo)",
        settings: { seed: 42, re2: false, parallel: 8 },
        training: adapters.get(variant.name)!.training,
        onProgress: (message) => io.stderr(`  ${message}\n`),
      });
      // judged as the app judges it: complete results against the registry's benchmarks
      const expected = await expectedResultsFor({ source, adapter: FIXTURE_ADAPTER, hiddenBenchmarks: 0 });
      const verdict = evaluateBar({ results, config, ...(typeof expected === "string" ? {} : { expected }) });
      verdicts.set(variant.name, verdict.pass);
      if (variant.name === "trained") merged = mergeRecord(results, verdict, 1, 1);
      kept.set(
        variant.name === "trained" ? "results.json" : `results-${variant.name}.json`,
        `${JSON.stringify(results, null, 2)}\n`,
      );
      io.stdout(
        variant.name === "trained"
          ? `\n${options.format === "markdown" ? `${renderScorecard({ results, verdict, trainedBy })}\n` : renderScorecardText({ results, verdict, trainedBy })}`
          : `\nthe adapter trained on ${variant.what}: ${verdict.pass ? "✓ passes" : "✗ does not pass"} the bar\n${verdict.reasons
              .map((r) => `  ${r.text}`)
              .join("\n")}\n`,
      );
    }
    await replaceFolder(options.out, async (staging) => {
      await writeFiles(join(staging, "site"), await demoSite(root, merged!));
      await writeFiles(staging, [[DEMO_MARKER, ""]]);
      for (const [file, bytes] of kept) writeFileSync(join(staging, file), bytes);
    });
    io.stdout(demoOutputs(options.out, registry.base.inference.file!, root));
    return verdicts.get("trained") === true && verdicts.get("shuffled") === false;
  } finally {
    await harness?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the demo left in `out`, and the next commands to try on it, runnable as printed from here. */
function demoOutputs(out: string, baseFile: string, root: string): string {
  const fromHere = relative(process.cwd(), root);
  const registry = shellWord(fromHere.startsWith("..") || isAbsolute(fromHere) ? root : fromHere);
  const at = (...parts: string[]) => shellWord(join(out, ...parts));
  const loragate = cliCommand();
  return `
The demo's outputs are in ${out}:
  ${baseFile}  the pinned base        ${FIXTURE_ADAPTER}-trained.gguf, ${FIXTURE_ADAPTER}-shuffled.gguf  the adapters
  results.json, results-shuffled.json  their evaluations   site/index.html  the registry's page after the merge
The registry's page: file://${join(out, "site", "index.html")}
Next, from the folder you ran the demo in:
  ${loragate} scorecard ${at("results.json")} --registry ${registry}
  ${loragate} scorecard ${at("results.json")} --registry ${registry} --format markdown
  ${loragate} eval --base ${at(baseFile)} --adapter ${at(`${FIXTURE_ADAPTER}-trained.gguf`)} --registry ${registry} --name ${FIXTURE_ADAPTER} --out my-results.json
`;
}

/**
 * How this loragate was started, so the next commands start it the same way: the sources in a checkout
 * (`npm run loragate --`), npx (an install in a project), or the `loragate` command on PATH.
 */
function cliCommand(): string {
  if (import.meta.url.endsWith(".ts")) return "npm run loragate --";
  return process.env.npm_command === "exec" ? "npx loragate" : "loragate";
}

/** A path as one shell word: quoted only where it holds something a shell would split or expand. */
const shellWord = (path: string) =>
  /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;

/**
 * The fixture registry after the app's merge of the demo's adapter (registry.yaml entry and the
 * evaluation record), rendered as its site.
 */
async function demoSite(root: string, merged: MergedAdapter): Promise<Map<string, string>> {
  const source = new MemoryRegistrySource({
    "registry.yaml": applyMerge(readFileSync(join(root, "registry.yaml"), "utf8"), merged),
    [`adapters/${merged.name}/adapter.yaml`]: readFileSync(
      join(root, "adapters", merged.name, "adapter.yaml"),
    ),
    [`${EVALUATIONS_DIR}/${merged.name}/${merged.version}.json`]: JSON.stringify(merged.evaluation),
  });
  const inputs = await readSiteInputs(source);
  if ("problem" in inputs) throw new Error(inputs.problem);
  return renderSite(inputs.registry, inputs.adapters);
}

/**
 * Which train.py made the committed adapters: fixtures/trained/provenance.json's `train_py_commit`,
 * written by the script that regenerates them.
 */
export function committedTrainerCommit(registryRoot: string): string | undefined {
  try {
    const file = join(registryRoot, "..", "trained", "provenance.json");
    const commit = (JSON.parse(readFileSync(file, "utf8")) as { train_py_commit?: unknown }).train_py_commit;
    return typeof commit === "string" && /^[0-9a-f]{7,40}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Trained now where the trainer's environment exists, else the committed ones, saying which (and then
 * `trainedBy`, so that no line reads as if this run had trained them).
 */
async function demoAdapters(p: {
  root: string;
  dir: string;
  trainingBase: string;
  io: { stderr: (s: string) => void };
  signal?: AbortSignal;
}): Promise<{ adapters: Map<DemoVariant, DemoAdapter>; trainedBy?: string }> {
  const python = trainerPython(p.root);
  if (!python) {
    const commit = committedTrainerCommit(p.root);
    const trainedBy = `fixtures/trained, train.py at ${commit ? commit.slice(0, 12) : "a commit not recorded"}`;
    p.io.stderr(
      `\nNo trainer environment (npm run trainer:setup makes one), so nothing is trained now: evaluating the adapters train.py made from this data (${trainedBy})\n`,
    );
    const adapters = new Map(
      DEMO_VARIANTS.map((v) => [
        v.name,
        {
          gguf: readFileSync(committedAdapterPath(p.root, v.name, "gguf")),
          training: JSON.parse(readFileSync(committedAdapterPath(p.root, v.name, "training.json"), "utf8")),
        },
      ]),
    );
    return { adapters, trainedBy: `${trainedBy}; not trained by this run` };
  }
  p.io.stderr(`\nTraining ${FIXTURE_ADAPTER} now with runners/trainer/train.py (${python}, CPU):\n`);
  const adapters = await trainDemoAdapters({
    registryRoot: p.root,
    python,
    workDir: join(p.dir, "train"),
    trainingBase: p.trainingBase,
    manifest: fixtureManifest(p.root),
    log: (line) => p.io.stderr(`  ${line}\n`),
    signal: p.signal,
  });
  return { adapters };
}
