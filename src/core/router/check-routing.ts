import type { AdapterReport } from "../adapter/validate-adapter.ts";
import { hasErrors, sortFindings } from "../findings/findings.ts";
import type { RegistryContext } from "../registry/registry-context.ts";
import type { RegistrySource } from "../registry/source.ts";
import { locateYamlPath } from "../registry/yaml.ts";
import { type ReadBenchmark, registryRouting, routerMode } from "./registry-routing.ts";
import { routingFindings } from "./routing-findings.ts";
import { routeBenchmarksAway } from "./route-away.ts";

/** `check`'s routing matrix: for every benchmark, how many of its items go to each adapter and to the base. */
export interface RoutingReport {
  mode: "keywords";
  adapters: { name: string; domain: string; keywords: readonly string[] }[];
  rows: {
    benchmark: string;
    domain: string;
    adapter?: string;
    items: number;
    routed: Record<string, number>;
  }[];
}

/**
 * Routes every benchmark over the served adapters and the checked ones that validated without errors
 * (one with errors is stopped anyway: where its keywords would send questions is for after the fix),
 * and adds each of those its routing findings.
 */
export async function checkRouting(params: {
  source: RegistrySource;
  context: RegistryContext;
  reports: AdapterReport[];
  read: ReadBenchmark;
  /** Route large benchmarks in a worker thread (the app: its thread answers every delivery). */
  offThread?: boolean;
}): Promise<RoutingReport | undefined> {
  const { source, context } = params;
  const reviewed = params.reports.filter((r) => r.manifest && r.ok);
  const routing = await registryRouting({
    source,
    context,
    candidates: reviewed.map((r) => ({ name: r.name, manifest: r.manifest! })),
    read: params.read,
  });
  if (routerMode(context, routing.adapters) === "none") return undefined;
  const rows = await routeBenchmarksAway(routing.benchmarks, routing.adapters, params.offThread);
  for (const report of reviewed) {
    const file = `adapters/${report.name}/adapter.yaml`;
    const text = Buffer.from(await source.read(file)).toString("utf8");
    const found = routingFindings({
      adapter: routing.adapters.find((a) => a.name === report.name)!,
      adapters: routing.adapters,
      rows,
      rules: context.config.bar.router,
      at: { file, ...locateYamlPath(text, ["router_keywords"]) },
    });
    report.findings = sortFindings([...report.findings, ...found]);
    if (hasErrors(found)) report.ok = false;
  }
  return {
    mode: "keywords",
    adapters: routing.adapters,
    rows: rows.map(({ benchmark, counts }) => ({
      benchmark: benchmark.label,
      domain: benchmark.domain,
      ...(benchmark.adapter ? { adapter: benchmark.adapter } : {}),
      items: benchmark.items.length,
      routed: counts,
    })),
  };
}
