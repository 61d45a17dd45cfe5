import { BASE_MODEL, type Route } from "./keyword-router.ts";

/** A benchmark as the router sees it: each item's question, and whose domain it is. */
export interface RoutedBenchmark {
  /** `adapters/<name>` for an adapter's own benchmark, `benchmarks/<domain>` for a registry one. */
  label: string;
  domain: string;
  /** The adapter whose own benchmark this is; absent for a registry benchmark. */
  adapter?: string;
  items: readonly { id: string; query: string }[];
}

export interface RoutingRow {
  benchmark: RoutedBenchmark;
  /** Where each item goes, in the benchmark's order: an adapter name or BASE_MODEL. */
  picks: string[];
  /** Items per target. */
  counts: Record<string, number>;
}

export function routeBenchmarks(benchmarks: readonly RoutedBenchmark[], route: Route): RoutingRow[] {
  return benchmarks.map((benchmark) => {
    const picks = benchmark.items.map((item) => route(item.query));
    const counts: Record<string, number> = {};
    for (const pick of picks) counts[pick] = (counts[pick] ?? 0) + 1;
    return { benchmark, picks, counts };
  });
}

/** Whether a benchmark's items are an adapter's own domain: its own benchmark, or its domain's registry one. */
export function belongsTo(benchmark: RoutedBenchmark, adapter: { name: string; domain: string }): boolean {
  return benchmark.adapter === undefined
    ? benchmark.domain === adapter.domain
    : benchmark.adapter === adapter.name;
}

/** The targets of a set of rows, adapters by name then the base, for a table's columns. */
export function targetsOf(rows: readonly RoutingRow[]): string[] {
  const names = new Set(rows.flatMap((r) => Object.keys(r.counts)));
  names.delete(BASE_MODEL);
  return [...[...names].sort(), BASE_MODEL];
}

export const share = (count: number, of: number) => (of === 0 ? 0 : count / of);
export const percent = (x: number) => `${Math.round(x * 100)}%`;
