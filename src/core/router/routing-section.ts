/**
 * The scorecard's routing section: where the registry's router sends each benchmark's items without
 * the PR's adapter and with its keywords, and the in-domain score as users get it, each item answered
 * by the model the router picks. Markdown lines; item ids and counts only, never a question's text.
 */
import { points } from "../evaluation/bar.ts";
import type { Results } from "../schemas/results.ts";
import { BASE_MODEL } from "./keyword-router.ts";
import { percent, type RoutingRow, share } from "./routing-matrix.ts";
import type { ScorecardRouting } from "./scorecard-routing.ts";

export interface AsRouted {
  /** Items answered by the adapter or the base, by the router's pick. */
  items: number;
  toAdapter: number;
  toBase: number;
  /** Items the router sends to other adapters: their answers are not in these results. */
  elsewhere: number;
  score: number;
  /** Base and adapter on the same items, for comparison. */
  base: number;
  adapter: number;
}

/** The in-domain outcomes (own and domain benchmarks) answered as the router picks, with this PR's keywords. */
export function asRouted(results: Results, routing: ScorecardRouting): AsRouted | undefined {
  const pick = new Map<string, string>();
  for (const { benchmark, picks } of routing.after) {
    const name =
      benchmark.adapter === routing.adapter ? "own" : benchmark.adapter ? undefined : benchmark.domain;
    if (name) benchmark.items.forEach((item, i) => pick.set(`${name}\n${item.id}`, picks[i]!));
  }
  let [toAdapter, toBase, elsewhere, score, base, adapter] = [0, 0, 0, 0, 0, 0];
  for (const b of results.benchmarks) {
    if (b.kind !== "own" && b.kind !== "domain") continue;
    for (const o of b.outcomes) {
      const target = pick.get(`${b.name}\n${o.id}`);
      if (target === undefined) continue; // an item the router's view did not read: not counted
      if (target === routing.adapter) [toAdapter, score] = [toAdapter + 1, score + o.adapter];
      else if (target === BASE_MODEL) [toBase, score] = [toBase + 1, score + o.base];
      else {
        elsewhere++;
        continue;
      }
      [base, adapter] = [base + o.base, adapter + o.adapter];
    }
  }
  const items = toAdapter + toBase;
  if (items + elsewhere === 0) return undefined;
  const mean = (x: number) => (items === 0 ? 0 : x / items);
  return {
    items,
    toAdapter,
    toBase,
    elsewhere,
    score: mean(score),
    base: mean(base),
    adapter: mean(adapter),
  };
}

export function routingSection(results: Results, routing: ScorecardRouting): string[] {
  const name = routing.adapter;
  const shares = (row: RoutingRow) => {
    const n = row.benchmark.items.length;
    const here = row.counts[name] ?? 0;
    const base = row.counts[BASE_MODEL] ?? 0;
    return { here: share(here, n), base: share(base, n), others: share(n - here - base, n) };
  };
  const out = [
    "### Routing (keywords, LocoLLM's rule)",
    "",
    `Share of each benchmark's items the registry's router sends to ${name}, to other adapters and to the base: without ${name} → with this PR's keywords.`,
    "",
    `| benchmark | items | to ${name} | to other adapters | to the base |`,
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  routing.after.forEach((row, i) => {
    const [before, after] = [shares(routing.before[i]!), shares(row)];
    const cell = (x: number, y: number) => `${percent(x)} → ${x === y ? percent(y) : `**${percent(y)}**`}`;
    out.push(
      `| ${row.benchmark.label} | ${row.benchmark.items.length} | ${cell(before.here, after.here)} | ${cell(before.others, after.others)} | ${cell(before.base, after.base)} |`,
    );
  });
  const routed = asRouted(results, routing);
  if (routed) {
    out.push(
      "",
      routed.items === 0
        ? `In-domain as routed: every one of the ${routed.elsewhere} items goes to another adapter, whose answers this run does not have.`
        : `**In-domain as routed: ${routed.score.toFixed(2)}** on ${routed.items} items (base ${routed.base.toFixed(2)}, adapter ${routed.adapter.toFixed(2)} on the same items; ${points(routed.score - routed.base)} over the base): ${routed.toAdapter} answered by ${name}, ${routed.toBase} by the base${routed.elsewhere ? `; ${routed.elsewhere} go to other adapters, whose answers this run does not have, and are left out` : ""}.`,
    );
  }
  return out;
}
