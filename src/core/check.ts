import { type Finding, sortFindings } from "./findings.ts";
import { checkRegistryBenchmarks, loadRegistryContext, type RegistryContext } from "./registry-context.ts";
import type { RegistrySource } from "./source.ts";
import { type AdapterReport, type ValidateAdapterParams, validateAdapter } from "./validate-adapter.ts";

export interface CheckReport {
  registry: { ok: boolean; findings: Finding[] };
  adapters: AdapterReport[];
}

export interface CheckParams {
  source: RegistrySource;
  /** Only this adapter; all adapters when absent. */
  adapter?: string;
  onProgress?: ValidateAdapterParams["onProgress"];
}

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
  const registryFindings = [...context.findings, ...(await checkRegistryBenchmarks(params.source, context))];
  const names = params.adapter ? [params.adapter] : await listAdapterNames(params.source);
  const adapters: AdapterReport[] = [];
  for (const name of names) {
    adapters.push(
      await validateAdapter({ source: params.source, name, context, onProgress: params.onProgress }),
    );
  }
  return {
    registry: {
      ok: !registryFindings.some((f) => f.severity === "error"),
      findings: sortFindings(registryFindings),
    },
    adapters,
  };
}
