/**
 * Evaluates adapters/<name>/ of a registry the way the gate does: the adapter is re-validated with
 * the shared core first (nothing runs on invalid data), the base is the registry's pin (sha256
 * checked), and the benchmarks are the adapter's own, its domain's, the out-of-domain ones it lists
 * and any hidden ones; the result is a complete results.json.
 */
import { type ApplicableBenchmark, benchmarksFor } from "../core/contamination/benchmarks-for.ts";
import { findingLine } from "../core/findings/findings.ts";
import { type ShardSpec, shardOf } from "../core/evaluation/shards.ts";
import { loadRegistryContext } from "../core/registry/registry-context.ts";
import type { BenchmarkItem } from "../core/schemas/records.ts";
import type { Results } from "../core/schemas/results.ts";
import type { RegistrySource } from "../core/registry/source.ts";
import { validateAdapter } from "../core/adapter/validate-adapter.ts";
import { EvaluationInputError } from "./gguf-file.ts";
import type { BaseAnswerStore } from "./base-answers.ts";
import type { EvaluationHarness } from "./harness.ts";
import { type EvaluationSettings, evaluateToResults } from "./run-evaluation.ts";

export interface HiddenBenchmark {
  label: string;
  sha256: string;
  items: BenchmarkItem[];
}

export async function evaluateRegistryAdapter(params: {
  source: RegistrySource;
  adapter: string;
  harness: EvaluationHarness;
  adapterPath: string;
  headSha: string;
  hardware: string;
  settings: Omit<EvaluationSettings, "maxTokens">;
  hidden?: HiddenBenchmark[];
  training?: Results["training"];
  /** Keeps and reuses the base's answers (see base-answers.ts). */
  baseAnswers?: BaseAnswerStore;
  /** One runner's part of a sharded evaluation: its share of every benchmark's items. */
  shard?: ShardSpec;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}): Promise<Results> {
  const { source, harness } = params;
  const context = await loadRegistryContext(source);
  const ownItems: BenchmarkItem[] = [];
  const report = await validateAdapter({
    source,
    name: params.adapter,
    context,
    onBenchmarkItem: (item) => ownItems.push(item),
  });
  const errors = [...context.findings, ...report.findings].filter((f) => f.severity === "error");
  if (errors.length > 0 || !report.manifest || !context.registry)
    throw new EvaluationInputError(
      `adapter ${params.adapter} does not validate; nothing was evaluated:\n${errors.map(findingLine).join("\n")}`,
    );
  const { manifest } = report;
  const { registry } = context;
  const pinned = registry.base.inference.sha256;
  if (harness.baseSha256 !== pinned)
    throw new EvaluationInputError(
      pinned
        ? `the loaded base has sha256 ${harness.baseSha256}, registry.yaml pins ${pinned}`
        : "registry.yaml does not pin base.inference.sha256: pin the base GGUF's sha256 before evaluating",
    );
  const benchmarks: ApplicableBenchmark[] = [
    ...(await benchmarksFor({ source, context, adapter: params.adapter, manifest, ownItems })),
    // hidden ones by their items' own rules, else exact match: never the adapter's
    ...(params.hidden ?? []).map((hidden) => ({
      name: hidden.label,
      kind: "hidden" as const,
      sha256: hidden.sha256,
      items: hidden.items,
      evaluationType: "exact_match" as const,
      maxTokens: context.config.evaluation.max_tokens,
    })),
  ];

  return evaluateToResults({
    shard: params.shard,
    subject: {
      adapter: manifest.name,
      domain: manifest.domain,
      version: manifest.version,
      head_sha: params.headSha,
      hardware: params.hardware,
      training: params.training,
      baseId: registry.base.id,
    },
    harness,
    adapterPath: params.adapterPath,
    benchmarks: params.shard ? shardOf(benchmarks, params.shard) : benchmarks,
    // the adapter's budget reaches its own benchmark only: every other carries the registry's
    settings: {
      ...params.settings,
      maxTokens: manifest.evaluation.max_tokens,
      thinking: registry.base.thinking,
    },
    baseAnswers: params.baseAnswers,
    onProgress: params.onProgress,
    signal: params.signal,
  });
}
