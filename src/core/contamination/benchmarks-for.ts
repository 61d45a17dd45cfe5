/**
 * Which benchmarks an adapter is evaluated on, and how each is scored: one definition for the
 * harness (what to run) and for the app (what complete results must hold). The adapter's own
 * benchmark is scored by adapter.yaml's rule and budget; its domain's and the out-of-domain ones by
 * registry.yaml's pins and the registry's budget, so nothing a contributor writes decides how anyone
 * else's benchmark is asked or scored.
 */
import { readBenchmarkItems } from "./check.ts";
import { loadDocument } from "../registry/load-document.ts";
import { loadRegistryContext, type RegistryContext, sha256Of } from "../registry/registry-context.ts";
import { type AdapterManifest, AdapterManifestSchema } from "../schemas/adapter.ts";
import type { BenchmarkItem } from "../schemas/records.ts";
import type { RegistrySource } from "../registry/source.ts";
import { type ExpectedBenchmark, type ExpectedResults, HARNESS_VERSION } from "../evaluation/completeness.ts";
import type { EvaluationType } from "../evaluation/scoring.ts";
import { trainingSeeds } from "../evaluation/seeds.ts";

export interface ApplicableBenchmark extends ExpectedBenchmark {
  /** The benchmark's default scoring; an item's evaluation_type / evaluation_config override it. */
  evaluationType: EvaluationType;
  evaluationConfig?: Record<string, unknown>;
  /** Token budget of one answer: the adapter's for its own benchmark, the registry's for every other. */
  maxTokens: number;
}

/** Own, domain and out-of-domain benchmarks of a validated adapter (hidden ones live on the runners). */
export async function benchmarksFor(params: {
  source: RegistrySource;
  context: RegistryContext;
  adapter: string;
  manifest: AdapterManifest;
  /** The own benchmark's items when already read (validation streams them). */
  ownItems?: readonly BenchmarkItem[];
}): Promise<ApplicableBenchmark[]> {
  const { source, context, manifest } = params;
  const limit = context.config.limits.max_line_bytes;
  const ownFile = `adapters/${params.adapter}/${manifest.data.benchmark}`;
  const benchmarks: ApplicableBenchmark[] = [
    {
      name: "own",
      kind: "own",
      sha256: await sha256Of(source, ownFile),
      items: params.ownItems ?? (await readBenchmarkItems(source, ownFile, limit)),
      evaluationType: manifest.evaluation.type,
      evaluationConfig: manifest.evaluation.config,
      maxTokens: manifest.evaluation.max_tokens,
    },
  ];
  const pinned = async (domain: string, kind: "domain" | "ood") => {
    const pin = context.registry?.benchmarks[domain];
    if (!pin) return; // validation already said so for listed OOD domains
    benchmarks.push({
      name: domain,
      kind,
      sha256: pin.sha256,
      items: await readBenchmarkItems(source, pin.path, limit),
      evaluationType: pin.evaluation.type,
      evaluationConfig: pin.evaluation.config,
      maxTokens: pin.evaluation.max_tokens ?? context.config.evaluation.max_tokens,
    });
  };
  await pinned(manifest.domain, "domain");
  for (const domain of outOfDomain(context, manifest)) await pinned(domain, "ood");
  return benchmarks;
}

/**
 * The out-of-domain benchmarks of an adapter: the registry's choice (bar.out_of_domain.benchmarks,
 * by default every registry benchmark outside the adapter's domain), then any more it lists itself.
 * A contributor can add a guard, never take one away.
 */
export function outOfDomain(context: RegistryContext, manifest: AdapterManifest): string[] {
  const registry = Object.keys(context.registry?.benchmarks ?? {});
  const chosen = context.config.bar.out_of_domain.benchmarks ?? registry;
  return [...new Set([...chosen, ...manifest.ood_benchmarks])].filter((d) => d !== manifest.domain);
}

/**
 * What complete results of `adapter` hold, from the registry as the gate read it (the PR's adapter
 * folder, the base commit's registry.yaml and benchmarks); a sentence instead when adapter.yaml does
 * not load there.
 */
export async function expectedResultsFor(params: {
  source: RegistrySource;
  adapter: string;
  hiddenBenchmarks: number;
  /** The commit evaluated: with it, the training seeds are checked too (trainingSeeds). */
  headSha?: string;
}): Promise<ExpectedResults | string> {
  const file = `adapters/${params.adapter}/adapter.yaml`;
  if ((await params.source.stat(file))?.kind !== "file") return `there is no ${file}`;
  const loaded = loadDocument(file, await params.source.read(file), AdapterManifestSchema);
  if (!loaded.ok) return `${file} does not load`;
  const context = await loadRegistryContext(params.source);
  const benchmarks = await benchmarksFor({
    source: params.source,
    context,
    adapter: params.adapter,
    manifest: loaded.value,
  });
  return {
    benchmarks,
    hidden: params.hiddenBenchmarks,
    hiddenMaxTokens: context.config.evaluation.max_tokens,
    harness: HARNESS_VERSION,
    seeds: context.config.bar.seeds,
    ...(params.headSha
      ? { seedList: trainingSeeds(loaded.value.training.seed, context.config.bar.seeds, params.headSha) }
      : {}),
  };
}
