/**
 * The page's routing matrix: where the registry's router sends each benchmark's questions, over the
 * adapters it serves (imported ones included), as a table of shares. Counts only, never a question.
 */
import { readBenchmarkItems } from "../contamination/check.ts";
import { loadRegistryContext } from "../registry/registry-context.ts";
import type { RegistrySource } from "../registry/source.ts";
import { escapeHtml as esc } from "../site/html.ts";
import { BASE_MODEL, keywordRouter, type RoutedAdapter } from "./keyword-router.ts";
import { registryRouting, routerMode } from "./registry-routing.ts";
import { belongsTo, percent, routeBenchmarks, type RoutingRow, share } from "./routing-matrix.ts";

/** The section's HTML, or "" when the registry routes by no keywords. */
export async function routingMatrixHtml(source: RegistrySource): Promise<string> {
  const context = await loadRegistryContext(source);
  const routing = await registryRouting({
    source,
    context,
    candidates: [],
    read: async (file) =>
      (await source.stat(file))?.kind === "file"
        ? readBenchmarkItems(source, file, context.config.limits.max_line_bytes)
        : undefined,
  });
  if (routerMode(context, routing.adapters) === "none" || routing.benchmarks.length === 0) return "";
  const rows = routeBenchmarks(routing.benchmarks, keywordRouter(routing.adapters));
  return renderRoutingMatrix(routing.adapters, rows);
}

export function renderRoutingMatrix(adapters: readonly RoutedAdapter[], rows: readonly RoutingRow[]): string {
  const targets = [...adapters.map((a) => a.name), BASE_MODEL];
  const body = rows.map(({ benchmark, counts }) => {
    const n = benchmark.items.length;
    const cells = targets.map((t) => {
      const adapter = adapters.find((a) => a.name === t);
      const own = adapter !== undefined && belongsTo(benchmark, adapter);
      return counts[t]
        ? `<td class="num${own ? " active" : ""}">${percent(share(counts[t], n))}</td>`
        : `<td class="num meta">·</td>`;
    });
    return `<tr><th scope="row">${esc(benchmark.label)}</th><td class="num">${n}</td>${cells.join("")}</tr>`;
  });
  return `<section aria-labelledby="routing"><h2 id="routing">Where the router sends each benchmark's questions</h2><p class="meta">LocoLLM's keyword rule over the adapters that serve: an adapter's router keywords count where they appear in a question, the most hits answer, no hit leaves it to the base. Bold: the benchmark's own domain. · = none.</p><div class="scroll"><table class="routing"><caption>Benchmarks (rows) by where their questions go (columns), share of items</caption><thead><tr><th scope="col">Benchmark</th><th scope="col" class="num">Items</th>${targets.map((t) => `<th scope="col" class="num">${t === BASE_MODEL ? "base" : esc(t)}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table></div></section>`;
}
