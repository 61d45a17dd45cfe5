/**
 * The demo's evaluation: one PR's path after `check`. The bundled registry's adapter is retrained from
 * its data by runners/trainer/train.py on the pinned tiny base (where the trainer's Python environment
 * exists; else the adapters that the same trainer produced, committed in fixtures/trained/), evaluated
 * by llama.cpp, judged by the bar and rendered as the scorecard the app would post; then the same data
 * with shuffled answers goes the same way and fails.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkoutTrainerPython, trainAdapter, trainerScript } from "../action/train-adapter.ts";
import { evaluateBar } from "../core/evaluation/bar.ts";
import { mergeRecord } from "../core/evaluation/merge-record.ts";
import { applyMerge, type MergedAdapter } from "../core/registry/registry-update.ts";
import { renderSite } from "../core/site/render-site.ts";
import { EVALUATIONS_DIR, readSiteInputs } from "../core/site/site-inputs.ts";
import { MemoryRegistrySource } from "../io/memory-source.ts";
import { writeSite } from "./site-command.ts";
import { renderScorecard } from "../core/evaluation/scorecard.ts";
import { loadRegistryContext } from "../core/registry/registry-context.ts";
import type { AdapterManifest } from "../core/schemas/adapter.ts";
import type { Results } from "../core/schemas/results.ts";
import { evaluateRegistryAdapter } from "../eval/evaluate-adapter.ts";
import { FIXTURE_ADAPTER, fixtureBaseOf, fixtureManifest, shuffleAnswers } from "../eval/fixture-model.ts";
import { EvaluationHarness } from "../eval/harness.ts";
import { writeModelCache } from "../eval/model-cache.ts";
import { FsRegistrySource } from "../io/fs-source.ts";

/** What the demo trains: the fixture adapter's data as submitted, and with its answers shuffled. */
const DEMO_VARIANTS = [
  { name: "trained", what: "retrained from its data", data: (jsonl: string) => jsonl },
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
    params.log(`${variant.what}:`);
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
  signal?: AbortSignal,
): Promise<boolean> {
  const source = new FsRegistrySource(root);
  const { registry, config } = await loadRegistryContext(source);
  if (!registry) throw new Error("the bundled registry.yaml does not load");
  const dir = mkdtempSync(join(tmpdir(), "loragate-demo-"));
  let harness: EvaluationHarness | undefined;
  try {
    const paths = writeModelCache({ registry, cacheDir: join(dir, "models"), ...fixtureBaseOf(root) });
    const adapters = await demoAdapters({ root, dir, trainingBase: paths.trainingBase, io, signal });

    io.stderr(`\nEvaluating ${FIXTURE_ADAPTER} on the pinned tiny base (llama.cpp, CPU, greedy):\n`);
    harness = await EvaluationHarness.open({
      basePath: paths.gguf,
      baseSha256: registry.base.inference.sha256,
    });
    const verdicts = new Map<DemoVariant, boolean>();
    let merged: MergedAdapter | undefined;
    for (const variant of DEMO_VARIANTS) {
      const adapterPath = join(dir, `${FIXTURE_ADAPTER}-${variant.name}.gguf`);
      writeFileSync(adapterPath, adapters.get(variant.name)!.gguf);
      io.stderr(`${variant.what}:\n`);
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
      const verdict = evaluateBar({ results, config });
      verdicts.set(variant.name, verdict.pass);
      if (variant.name === "trained") merged = mergeRecord(results, verdict, 1, 1);
      io.stdout(
        variant.name === "trained"
          ? `\n${renderScorecard({ results, verdict })}\n`
          : `\n### ${variant.what}: ${verdict.pass ? "✅ passes" : "❌ fails"} the bar\n\n${verdict.reasons
              .map((r) => `- ${r.ok ? "✓" : "✗"} ${r.text}`)
              .join("\n")}\n`,
      );
    }
    const site = await buildDemoSite(root, merged!);
    io.stdout(
      `\nThe registry's page, as the merge of this adapter would publish it:\n  open ${join(site, "index.html")}\n`,
    );
    return verdicts.get("trained") === true && verdicts.get("shuffled") === false;
  } finally {
    await harness?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the demo leaves the site: kept after the demo, replaced by the next one. */
const DEMO_SITE = join(tmpdir(), "loragate-demo-site");

/**
 * The fixture registry after the app's merge of the demo's adapter (registry.yaml entry and the
 * evaluation record), rendered as its site into DEMO_SITE.
 */
async function buildDemoSite(root: string, merged: MergedAdapter): Promise<string> {
  const source = new MemoryRegistrySource({
    "registry.yaml": applyMerge(readFileSync(join(root, "registry.yaml"), "utf8"), merged),
    [`adapters/${merged.name}/adapter.yaml`]: readFileSync(
      join(root, "adapters", merged.name, "adapter.yaml"),
    ),
    [`${EVALUATIONS_DIR}/${merged.name}/${merged.version}.json`]: JSON.stringify(merged.evaluation),
  });
  const inputs = await readSiteInputs(source);
  if ("problem" in inputs) throw new Error(inputs.problem);
  await writeSite(DEMO_SITE, renderSite(inputs.registry, inputs.adapters));
  return DEMO_SITE;
}

/** Trained now where the trainer's environment exists, else the committed ones, saying which. */
async function demoAdapters(p: {
  root: string;
  dir: string;
  trainingBase: string;
  io: { stderr: (s: string) => void };
  signal?: AbortSignal;
}): Promise<Map<DemoVariant, DemoAdapter>> {
  const python = trainerPython(p.root);
  if (!python) {
    p.io.stderr(
      `\nNo trainer environment (npm run trainer:setup makes one): using the adapters that runners/trainer/train.py produced from this data, committed in fixtures/trained/\n`,
    );
    return new Map(
      DEMO_VARIANTS.map((v) => [
        v.name,
        {
          gguf: readFileSync(committedAdapterPath(p.root, v.name, "gguf")),
          training: JSON.parse(readFileSync(committedAdapterPath(p.root, v.name, "training.json"), "utf8")),
        },
      ]),
    );
  }
  p.io.stderr(`\nRetraining ${FIXTURE_ADAPTER} with runners/trainer/train.py (${python}, CPU):\n`);
  return trainDemoAdapters({
    registryRoot: p.root,
    python,
    workDir: join(p.dir, "train"),
    trainingBase: p.trainingBase,
    manifest: fixtureManifest(p.root),
    log: (line) => p.io.stderr(`  ${line}\n`),
    signal: p.signal,
  });
}
