/**
 * Evaluates adapters/<name>/ of a registry the way the gate does: the adapter is re-validated with
 * the shared core first (nothing runs on invalid data), the base is the registry's pin (sha256
 * checked), and the benchmarks are the adapter's own, its domain's, the out-of-domain ones it lists
 * and any hidden ones; the result is a complete results.json.
 */
import { readBenchmarkItems } from "../core/contamination/check.ts";
import { findingLine } from "../core/findings.ts";
import { loadRegistryContext, sha256Of } from "../core/registry-context.ts";
import type { BenchmarkItem } from "../core/schemas/records.ts";
import type { Results } from "../core/schemas/results.ts";
import type { RegistrySource } from "../core/source.ts";
import { validateAdapter } from "../core/validate-adapter.ts";
import { EvaluationInputError } from "./gguf-file.ts";
import type { EvaluationHarness } from "./harness.ts";
import { type BenchmarkToEvaluate, type EvaluationSettings, evaluateToResults } from "./run-evaluation.ts";

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
  const { registry, config } = context;
  if (harness.baseSha256 !== registry.base.inference.sha256)
    throw new EvaluationInputError(
      `the loaded base has sha256 ${harness.baseSha256}, registry.yaml pins ${registry.base.inference.sha256}`,
    );
  const dir = `adapters/${params.adapter}`;
  // Whose rule scores what: adapter.yaml's evaluation scores only the adapter's own benchmark; the
  // registry's benchmarks are scored by registry.yaml's pin and hidden ones by their items (else exact
  // match), so nothing a contributor writes decides how anyone else's benchmark is scored.
  const benchmarks: BenchmarkToEvaluate[] = [
    {
      name: "own",
      kind: "own",
      sha256: await sha256Of(source, `${dir}/${manifest.data.benchmark}`),
      items: ownItems,
      evaluationType: manifest.evaluation.type,
      evaluationConfig: manifest.evaluation.config,
    },
  ];
  const registryBenchmark = async (domain: string, kind: "domain" | "ood") => {
    const pin = registry.benchmarks[domain];
    if (!pin) return; // validation already said so for listed OOD domains
    const items = await readBenchmarkItems(source, pin.path, config.limits.max_line_bytes);
    benchmarks.push({
      name: domain,
      kind,
      sha256: pin.sha256,
      items,
      evaluationType: pin.evaluation.type,
      evaluationConfig: pin.evaluation.config,
    });
  };
  await registryBenchmark(manifest.domain, "domain");
  for (const domain of manifest.ood_benchmarks) await registryBenchmark(domain, "ood");
  for (const hidden of params.hidden ?? [])
    benchmarks.push({
      name: hidden.label,
      kind: "hidden",
      sha256: hidden.sha256,
      items: hidden.items,
      evaluationType: "exact_match",
    });

  return evaluateToResults({
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
    benchmarks,
    settings: { ...params.settings, maxTokens: manifest.evaluation.max_tokens },
    onProgress: params.onProgress,
    signal: params.signal,
  });
}
