import type { BarInput } from "../evaluation/bar.ts";
import type { Registry } from "../schemas/registry.ts";

/**
 * The version a new one replaces, for the bar's upgrade rule: the registry's entry of that adapter,
 * with its in-domain score (the domain's benchmark, else its own) when one is on record. An imported
 * adapter has none until a maintainer records it, and a gated version cannot be shown to beat it before.
 */
export function currentVersion(registry: Registry | undefined, name: string): BarInput["currentScore"] {
  const entry = registry?.adapters[name];
  if (!entry) return undefined;
  const score = entry.scores[entry.domain] ?? entry.scores.own;
  return {
    version: entry.version,
    ...(score ? { adapter: score.adapter } : {}),
    ...(entry.status === "imported" ? { imported: true } : {}),
  };
}
