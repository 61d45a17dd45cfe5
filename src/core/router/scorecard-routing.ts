import { declaredManifest } from "../adapter/declared-data.ts";
import { readBenchmarkItems } from "../contamination/check.ts";
import type { RegistryContext } from "../registry/registry-context.ts";
import type { RegistrySource } from "../registry/source.ts";
import { registryRouting, routerMode } from "./registry-routing.ts";
import { routeBenchmarksAway } from "./route-away.ts";
import type { RoutingRow } from "./routing-matrix.ts";

/** The router without the adapter of a PR and with its keywords, over the same benchmarks. */
export interface ScorecardRouting {
  adapter: string;
  before: RoutingRow[];
  after: RoutingRow[];
}

/** From the registry as the gate reads it (the PR's adapter folder, the base commit's registry). */
export async function scorecardRouting(params: {
  source: RegistrySource;
  context: RegistryContext;
  adapter: string;
  /** Route large benchmarks in a worker thread (the app: its thread answers every delivery). */
  offThread?: boolean;
}): Promise<ScorecardRouting | undefined> {
  const { source, context, adapter } = params;
  const manifest = await declaredManifest(source, adapter);
  if (!manifest) return undefined;
  const routing = await registryRouting({
    source,
    context,
    candidates: [{ name: adapter, manifest }],
    read: async (file) =>
      (await source.stat(file))?.kind === "file"
        ? readBenchmarkItems(source, file, context.config.limits.max_line_bytes)
        : undefined,
  });
  if (routerMode(context, routing.adapters) === "none") return undefined;
  const others = routing.adapters.filter((a) => a.name !== adapter);
  return {
    adapter,
    before: await routeBenchmarksAway(routing.benchmarks, others, params.offThread),
    after: await routeBenchmarksAway(routing.benchmarks, routing.adapters, params.offThread),
  };
}
