/**
 * Routing as part of the gate, for one adapter under review: the items of other adapters' benchmarks its
 * keywords take (a warning; an error past bar.router.max_stolen_share), and its own domain's items the
 * router sends elsewhere (a warning under bar.router.min_own_share, with keywords that would catch them).
 */
import type { Finding } from "../findings/findings.ts";
import type { Config } from "../schemas/config.ts";
import { BASE_MODEL, keywordRouter, keywordsIn, type RoutedAdapter } from "./keyword-router.ts";
import { belongsTo, percent, type RoutingRow, share } from "./routing-matrix.ts";

export interface RoutingFindingsInput {
  adapter: RoutedAdapter;
  /** Every adapter the router picks among, the one under review included. */
  adapters: readonly RoutedAdapter[];
  /** The router's picks with all of them. */
  rows: readonly RoutingRow[];
  rules: Config["bar"]["router"];
  /** Where adapter.yaml's router_keywords are, for the findings' position. */
  at: { file: string; line: number; column?: number };
}

const MAX_IDS = 10;

export function routingFindings(input: RoutingFindingsInput): Finding[] {
  return [...shortKeywords(input), ...stolenItems(input), ...ownShare(input)];
}

/**
 * A keyword of one character once lower-cased and trimmed (a blank one, a letter, the Kelvin sign K that
 * lower-cases to "k") is in nearly every question of every domain: an error, not a warning about the
 * items it takes.
 */
function shortKeywords({ adapter, at }: RoutingFindingsInput): Finding[] {
  return adapter.keywords.flatMap((keyword) => {
    const routed = keyword.toLowerCase().trim();
    if ([...routed].length >= 2) return [];
    return [
      {
        ...at,
        field: "router_keywords",
        rule: "router-keyword-too-short",
        severity: "error" as const,
        message: `the keyword ${JSON.stringify(keyword)} routes as ${routed ? JSON.stringify(routed) : "nothing but blanks"}: ${routed ? "one character" : "it"} matches nearly every question of every domain`,
        hint: "use words of two characters or more that questions of this domain hold and others do not",
      },
    ];
  });
}

function stolenItems({ adapter, adapters, rows, rules, at }: RoutingFindingsInput): Finding[] {
  const without = keywordRouter(adapters.filter((a) => a.name !== adapter.name));
  const findings: Finding[] = [];
  for (const { benchmark, picks } of rows) {
    const owner = adapters.find(
      (a) => a.name !== adapter.name && a.domain !== adapter.domain && belongsTo(benchmark, a),
    );
    if (!owner) continue; // its own domain, or a domain no adapter serves
    const taken = benchmark.items.filter((_, i) => picks[i] === adapter.name);
    if (taken.length === 0) continue;
    const fromOwner = taken.filter((item) => without(item.query) === owner.name).length;
    const taken_share = share(taken.length, benchmark.items.length);
    const error = rules.max_stolen_share !== undefined && taken_share > rules.max_stolen_share;
    const keywords = [...new Set(taken.flatMap((item) => keywordsIn(item.query, adapter.keywords)))];
    findings.push({
      ...at,
      field: "router_keywords",
      rule: "router-takes-items",
      severity: error ? "error" : "warning",
      message: `the router sends ${taken.length} of ${benchmark.items.length} items (${percent(taken_share)}) of ${benchmark.label}, ${owner.name}'s domain, to ${adapter.name} (${fromOwner} of them went to ${owner.name} without it): ${ids(taken)}`,
      hint: `narrow the keywords that catch them (${keywords.map((k) => JSON.stringify(k)).join(", ")}): a keyword counts wherever it appears inside a question${rules.max_stolen_share === undefined ? "" : `; bar.router.max_stolen_share is ${percent(rules.max_stolen_share)}`}`,
    });
  }
  return findings;
}

function ownShare({ adapter, adapters, rows, rules, at }: RoutingFindingsInput): Finding[] {
  const own = rows.filter((r) => belongsTo(r.benchmark, adapter));
  const total = own.reduce((n, r) => n + r.benchmark.items.length, 0);
  const missed = own.flatMap((r) => r.benchmark.items.filter((_, i) => r.picks[i] !== adapter.name));
  const routedHere = total - missed.length;
  if (total === 0 || share(routedHere, total) >= rules.min_own_share) return [];
  const toBase = own.reduce((n, r) => n + r.picks.filter((p) => p === BASE_MODEL).length, 0);
  const others = rows.filter((r) => !belongsTo(r.benchmark, adapter)).flatMap((r) => r.benchmark.items);
  const suggested = catchingWords(missed, others, adapters);
  return [
    {
      ...at,
      field: "router_keywords",
      rule: "router-own-share",
      severity: "warning",
      message: `the router sends ${routedHere} of ${total} items of ${adapter.name}'s domain (${percent(share(routedHere, total))}) to ${adapter.name}, under bar.router.min_own_share ${percent(rules.min_own_share)}; ${toBase} go to the base and ${missed.length - toBase} to other adapters: ${ids(missed)}`,
      hint: suggested.length
        ? `add keywords that would catch them and no other domain's items: ${suggested.map((w) => `"${w.word}" (${w.count} of ${missed.length})`).join(", ")}`
        : "add keywords that appear in these questions: no single word of them is missing from every other domain's items",
    },
  ];
}

const ids = (items: readonly { id: string }[]) =>
  items
    .slice(0, MAX_IDS)
    .map((i) => i.id)
    .join(", ") + (items.length > MAX_IDS ? `, and ${items.length - MAX_IDS} more` : "");

/** Words too common to route by. */
const STOP_WORDS = new Set(
  "what which that this with from have does give your the and please into about there their would could should each many much more some than then them they were when will where while here just only also very".split(
    " ",
  ),
);

/**
 * Words of the missed questions that no other domain's question holds (so they would take nothing
 * away) and no other adapter already lists, by how many missed questions they would catch.
 */
function catchingWords(
  missed: readonly { query: string }[],
  others: readonly { query: string }[],
  adapters: readonly RoutedAdapter[],
): { word: string; count: number }[] {
  const words = (query: string) =>
    new Set(
      query
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((w) => w.length >= 4 && !STOP_WORDS.has(w)),
    );
  const counts = new Map<string, number>();
  for (const item of missed)
    for (const word of words(item.query)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const taken = new Set(adapters.flatMap((a) => a.keywords.map((k) => k.toLowerCase())));
  const elsewhere = others.map((o) => o.query.toLowerCase());
  return [...counts]
    .filter(([word]) => !taken.has(word))
    .sort(([a, x], [b, y]) => y - x || b.length - a.length || (a < b ? -1 : 1)) // longer words are rarer
    .slice(0, 50) // the most common first: the search over other questions stays bounded
    .filter(([word]) => !elsewhere.some((q) => q.includes(word)))
    .slice(0, 3)
    .map(([word, count]) => ({ word, count }));
}
