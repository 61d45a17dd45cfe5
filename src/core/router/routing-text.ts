import { printable } from "../text.ts";
import type { RoutingReport } from "./check-routing.ts";
import { BASE_MODEL } from "./keyword-router.ts";
import { percent, share } from "./routing-matrix.ts";

/** `check`'s routing matrix as text: one row per benchmark, one column per adapter and the base. */
export function routingText(report: RoutingReport): string[] {
  const targets = [...report.adapters.map((a) => a.name), BASE_MODEL];
  const header = ["benchmark", "items", ...targets];
  const rows = report.rows.map((r) => [
    r.benchmark,
    String(r.items),
    ...targets.map((t) => (r.routed[t] ? percent(share(r.routed[t], r.items)) : "·")),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`;
  return [
    `routing (keywords, LocoLLM's rule): where the router sends each benchmark's items`,
    ...report.adapters.map(
      (a) =>
        `  ${printable(a.name)}: ${a.keywords.length ? a.keywords.map((k) => JSON.stringify(printable(k, 100))).join(", ") : "(no keywords)"}`,
    ),
    line(header),
    ...rows.map(line),
  ];
}
