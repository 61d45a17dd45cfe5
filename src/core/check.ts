import type { BenchmarkInput } from "./contamination/benchmark-index.ts";
import { type OnPhase, phaseClock } from "./phases.ts";
import { BenchmarkLibrary } from "./contamination/benchmark-library.ts";
import { checkContamination } from "./contamination/check.ts";
import { type ContaminationReport, contaminationFindings } from "./contamination/report.ts";
import { type Finding, hasErrors, sortFindings } from "./findings/findings.ts";
import { joinPath } from "./registry/paths.ts";
import { checkRouting, type RoutingReport } from "./router/check-routing.ts";
import {
  checkBenchmarkSizes,
  checkRegistryBenchmarks,
  loadRegistryContext,
  type RegistryContext,
} from "./registry/registry-context.ts";
import type { RegistrySource } from "./registry/source.ts";
import { checkWorkflowPins } from "./registry/workflow-pins.ts";
import {
  type AdapterReport,
  type ValidateAdapterParams,
  validateAdapter,
} from "./adapter/validate-adapter.ts";

export interface CheckedAdapter extends AdapterReport {
  /** Present when the training set was readable and compared with every benchmark. */
  contamination?: ContaminationReport;
}

export interface CheckReport {
  registry: { ok: boolean; findings: Finding[] };
  adapters: CheckedAdapter[];
  /** Where the registry's router sends each benchmark's items (absent with router: none). */
  routing?: RoutingReport;
}

export interface CheckParams {
  source: RegistrySource;
  /** Only this adapter (or these); all adapters when absent. */
  adapter?: string | readonly string[];
  onProgress?: ValidateAdapterParams["onProgress"];
  /** Maintainers' unpublished benchmarks: compared with, reported by counts and ids only. */
  hidden?: BenchmarkInput[];
  /** Skip the contamination check (validation only). */
  skipContamination?: boolean;
  /** Sees the time of each adapter's phases (validate, contamination), for benchmarks. */
  onPhase?: OnPhase;
  /**
   * Also look for the release placeholders in the registry's workflows (the CLI, on a registry's
   * folder; the app reads a pull request's files only).
   */
  workflows?: boolean;
  /** Route large benchmarks in a worker thread (the app: its thread answers every delivery). */
  routeOffThread?: boolean;
}

/** Every finding of a report, the registry's first, in the order they were reported. */
export const allFindings = (report: CheckReport): Finding[] => [
  ...report.registry.findings,
  ...report.adapters.flatMap((a) => a.findings),
];

/** The names of the folders under adapters/ (untrusted: validated by validateAdapter). */
export async function listAdapterNames(source: RegistrySource): Promise<string[]> {
  const entries = await source.list("adapters");
  return entries
    .filter((e) => e.path.split("/").length === 2 && e.kind !== "file")
    .map((e) => e.path.slice("adapters/".length))
    .sort();
}

/** `loragate check`: the registry itself, then each adapter, against one context. */
export async function checkRegistry(params: CheckParams): Promise<CheckReport> {
  const context: RegistryContext = await loadRegistryContext(params.source);
  const registryFindings = [
    ...context.findings,
    ...(await checkRegistryBenchmarks(params.source, context)),
    // a maintainer's concern: said when the whole registry is checked, not on every adapter's PR
    ...(params.adapter === undefined ? await checkBenchmarkSizes(params.source, context) : []),
    ...(params.workflows ? await checkWorkflowPins(params.source) : []),
  ];
  const allNames = await listAdapterNames(params.source);
  const names = params.adapter === undefined ? allNames : [...new Set([params.adapter].flat())];
  const library = new BenchmarkLibrary(params.source, context, allNames, params.hidden);
  const adapters: CheckedAdapter[] = [];
  for (const name of names) {
    const clock = phaseClock(params.onPhase);
    const report: CheckedAdapter = await validateAdapter({
      source: params.source,
      name,
      context,
      onProgress: params.onProgress,
    });
    clock.lap("validate");
    const train = report.stats.train;
    if (!params.skipContamination && report.manifest && train && !train.lfsPointer && train.records > 0) {
      report.contamination = await checkContamination({
        source: params.source,
        trainFile: joinPath("adapters", name, report.manifest.data.train),
        benchmarks: await library.forAdapter(name, report.manifest.data.benchmark),
        config: context.config.contamination,
        maxLineBytes: context.config.limits.max_line_bytes,
      });
      clock.lap("contamination");
      const found = contaminationFindings(report.contamination);
      if (found.length > 0) {
        report.findings = sortFindings([...report.findings, ...found]);
        report.ok = false;
      }
    }
    adapters.push(report);
  }
  const routing = await checkRouting({
    source: params.source,
    context,
    reports: adapters,
    read: async (file) => (await library.load(file))?.items,
    offThread: params.routeOffThread,
  });
  return {
    registry: {
      ok: !hasErrors(registryFindings),
      findings: sortFindings(registryFindings),
    },
    adapters,
    ...(routing ? { routing } : {}),
  };
}
