/**
 * The registry's router over what it serves: the adapters registry.yaml lists as active (imported ones
 * included) with the keywords of their adapter.yaml, plus the adapters under review, routing every
 * adapter's own benchmark and every registry benchmark.
 */
import { declaredManifest } from "../adapter/declared-data.ts";
import { benchmarkPrompt } from "../evaluation/prompt.ts";
import { checkRelativePath, joinPath } from "../registry/paths.ts";
import type { RegistryContext } from "../registry/registry-context.ts";
import type { RegistrySource } from "../registry/source.ts";
import type { AdapterManifest } from "../schemas/adapter.ts";
import type { RoutedAdapter } from "./keyword-router.ts";
import type { RoutedBenchmark } from "./routing-matrix.ts";

export interface RegistryRouting {
  /** The adapters the router picks among, by name. */
  adapters: RoutedAdapter[];
  benchmarks: RoutedBenchmark[];
}

/** A benchmark item as the router reads it: its question. */
type ItemText = { id: string; instruction: string; input: string };
/** Reads a benchmark file's items (undefined when it cannot be read: validation says why). */
export type ReadBenchmark = (file: string) => Promise<readonly ItemText[] | undefined>;

/** The router setting in effect: the config's, else keywords when any routed adapter has some. */
export function routerMode(
  context: RegistryContext,
  adapters: readonly RoutedAdapter[],
): "keywords" | "none" {
  return context.config.router ?? (adapters.some((a) => a.keywords.length > 0) ? "keywords" : "none");
}

/** Served adapters of registry.yaml, replaced or joined by `candidates` (the adapters under review). */
export async function registryRouting(params: {
  source: RegistrySource;
  context: RegistryContext;
  candidates: readonly { name: string; manifest: AdapterManifest }[];
  read: ReadBenchmark;
}): Promise<RegistryRouting> {
  const manifests = new Map(params.candidates.map((c) => [c.name, c.manifest]));
  for (const [name, entry] of Object.entries(params.context.registry?.adapters ?? {})) {
    if (!entry.active || manifests.has(name)) continue;
    const manifest = await declaredManifest(params.source, name);
    if (manifest) manifests.set(name, manifest);
  }
  const adapters: RoutedAdapter[] = [];
  const benchmarks: RoutedBenchmark[] = [];
  const routed = (items: readonly ItemText[]) =>
    items.map((item) => ({ id: item.id, query: benchmarkPrompt(item, false) }));
  for (const [name, manifest] of [...manifests].sort(([a], [b]) => (a < b ? -1 : 1))) {
    adapters.push({ name, domain: manifest.domain, keywords: manifest.router_keywords });
    if (checkRelativePath(manifest.data.benchmark)) continue;
    const items = await params.read(joinPath("adapters", name, manifest.data.benchmark));
    if (items)
      benchmarks.push({
        label: `adapters/${name}`,
        domain: manifest.domain,
        adapter: name,
        items: routed(items),
      });
  }
  for (const [domain, pin] of Object.entries(params.context.registry?.benchmarks ?? {})) {
    if (checkRelativePath(pin.path)) continue;
    const items = await params.read(pin.path);
    if (items) benchmarks.push({ label: `benchmarks/${domain}`, domain, items: routed(items) });
  }
  return { adapters, benchmarks };
}
