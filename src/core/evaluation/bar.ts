import type { Config } from "../schemas/config.ts";
import type { BenchmarkResult, Results } from "../schemas/results.ts";
import { type ExpectedResults, incompleteness } from "./completeness.ts";
import {
  dropDecision,
  type DropErrorRates,
  dropErrorRates,
  type DropRuleSettings,
  itemsForDropRule,
} from "./drop-rule.ts";
import { detectableGain, differenceSd, type PairedSummary, pairedSummary } from "./statistics.ts";

/** One rule of the bar and how the results fared on it. */
export interface BarReason {
  rule:
    | "complete"
    | "own"
    | "domain"
    | "out_of_domain"
    | "hidden"
    | "seeds"
    | "measured"
    | "contamination"
    | "upgrade"
    | "override";
  ok: boolean;
  /** e.g. "own benchmark: +14.0 pts (0.58 -> 0.72), p = 0.004 < 0.05 ✓"; an override's reason is untrusted text. */
  text: string;
}

/** One training's result on the two in-domain benchmarks, when the bar trains with several seeds. */
export interface SeedOutcome {
  seed: number;
  own?: PairedSummary;
  domain?: PairedSummary;
  /** Whether every rule held for this seed's adapter. */
  pass: boolean;
}

export interface BarVerdict {
  pass: boolean;
  reasons: BarReason[];
  /** Per benchmark, in results order, for the published adapter (the first seed). */
  summaries: { benchmark: BenchmarkResult; summary: PairedSummary }[];
  /** The contributor's own benchmark and the registry's benchmark of the domain, each tested on its own. */
  own: PairedSummary | undefined;
  domain: PairedSummary | undefined;
  /** Each seed's outcome, when results hold several (the first is the published adapter). */
  seeds?: SeedOutcome[];
  /** The smallest gain (0..1) each in-domain benchmark detects at the bar's p with 80% power. */
  detectable: { own?: number; domain?: number };
  /** What each maintainers' benchmark's drop rule can tell at its size (error rates at the planning discordance). */
  dropRules: DropRuleReach[];
}

/** A maintainers' benchmark's drop rule: its error rates at the benchmark's size, and the size that meets the bar's target. */
export interface DropRuleReach {
  name: string;
  kind: "domain" | "ood" | "hidden";
  items: number;
  limitPoints: number;
  rates: DropErrorRates;
  /** Items at which an adapter costing twice the limit passes at most `falsePassTarget` (Infinity: none). */
  itemsNeeded: number;
  /** bar.drop_rule's false_pass and discordance, which the rates and size are stated at. */
  falsePassTarget: number;
  discordance: number;
}

export interface BarInput {
  results: Results;
  config: Config;
  /** Contaminated training examples found by the validate check, when it ran. */
  contaminatedExamples?: number;
  /** The in-domain score of the version this one replaces, for upgrades (none on record: the rule fails). */
  currentScore?: { version: string; adapter?: number; imported?: boolean };
  /** A maintainer's override, recorded in the scorecard. */
  override?: { by: string; reason: string };
  /** What complete results hold (the gate always gives it; a scorecard of a local file may not). */
  expected?: ExpectedResults;
}

export const points = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} pts`;
export const formatP = (p: number) => (p < 0.001 ? "< 0.001" : `= ${p.toFixed(3)}`);
const mark = (ok: boolean) => (ok ? "✓" : "✗");

/**
 * The merge rule, as a pure function of the results: every reason is stated, passing or not.
 *
 * The maintainers' benchmarks (the registry's benchmark of the domain, out-of-domain and hidden ones)
 * are judged each on its own and none may drop past its limit; the contributor's own benchmark must
 * show the gain, and never outvotes them (it is not pooled with the registry's). With several seeds,
 * every rule must hold for every seed's adapter: the worst training decides.
 */
export function evaluateBar(input: BarInput): BarVerdict {
  const { results, config, expected } = input;
  const views = seedViews(results);
  const judged = views.map((view) => judgeOneTraining(view.results, input));
  const first = judged[0]!;
  const reasons: BarReason[] = [];
  if (expected) reasons.push(completenessReason(incompleteness(results, expected)));
  reasons.push(
    ...combineReasons(
      judged.map((j) => j.reasons),
      views,
    ),
  );
  reasons.push(...budgetFindings(results));
  if (views.length > 1) {
    const passing = judged.filter((j) => j.reasons.every((r) => r.ok)).length;
    reasons.push({
      rule: "seeds",
      ok: passing === views.length,
      text: `seeds: every rule held for ${passing} of ${views.length} trainings (each must) ${mark(passing === views.length)}`,
    });
  }
  const pass = reasons.every((r) => r.ok);
  if (input.override)
    reasons.push({
      rule: "override",
      ok: true,
      text: `override by @${input.override.by}: ${input.override.reason}`,
    });
  const alpha = config.bar.domain.max_p_value;
  const detectable = (benchmark: BenchmarkResult | undefined) =>
    benchmark
      ? detectableGain({ items: benchmark.outcomes.length, sd: differenceSd(benchmark.outcomes), alpha })
      : undefined;
  return {
    pass: pass || input.override !== undefined,
    reasons,
    summaries: first.summaries,
    own: first.own,
    domain: first.domain,
    ...(views.length > 1
      ? {
          seeds: judged.map((j, i) => ({
            seed: views[i]!.seed,
            own: j.own,
            domain: j.domain,
            pass: j.reasons.every((r) => r.ok),
          })),
        }
      : {}),
    detectable: {
      own: detectable(results.benchmarks.find((b) => b.kind === "own")),
      domain: detectable(results.benchmarks.find((b) => b.kind === "domain")),
    },
    dropRules: dropRuleReach(results, config),
  };
}

/** Each maintainers' benchmark's limit, its error rates at its size, and the size the bar's targets ask for. */
export function dropRuleReach(results: Results, config: Config): DropRuleReach[] {
  const { bar } = config;
  const needed = new Map<number, number>();
  const reach: DropRuleReach[] = [];
  for (const b of results.benchmarks) {
    if (b.kind === "own") continue;
    const limitPoints = (b.kind === "ood" ? bar.out_of_domain : b.kind === "hidden" ? bar.hidden : bar.domain)
      .max_degradation_points;
    const settings = { limitPoints, alpha: bar.drop_rule.alpha };
    const discordance = bar.drop_rule.discordance;
    if (!needed.has(limitPoints))
      needed.set(
        limitPoints,
        itemsForDropRule({ settings, falsePass: bar.drop_rule.false_pass, discordance }),
      );
    reach.push({
      name: b.name,
      kind: b.kind,
      items: b.outcomes.length,
      limitPoints,
      rates: dropErrorRates({ items: b.outcomes.length, settings, discordance }),
      itemsNeeded: needed.get(limitPoints)!,
      falsePassTarget: bar.drop_rule.false_pass,
      discordance,
    });
  }
  return reach;
}

/** The in-domain score an adapter is ranked and upgraded by: the registry's benchmark, else its own. */
export const domainScore = (verdict: Pick<BarVerdict, "own" | "domain">) =>
  (verdict.domain ?? verdict.own)?.adapter ?? 0;

function completenessReason(problems: string[]): BarReason {
  return {
    rule: "complete",
    ok: problems.length === 0,
    text:
      problems.length === 0
        ? "complete: every benchmark and item evaluated once ✓"
        : `incomplete results: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? `; ${problems.length - 3} more` : ""} ✗`,
  };
}

/**
 * Benchmarks where most of the base's answers ran into the token budget: their scores say little
 * about the base (both sides can sit near 0, and every drop rule then holds with nothing measured).
 * A finding in the verdict's reasons, not a footnote; it does not fail the bar by itself, since
 * the budget of a maintainers' benchmark is theirs to set, and it says whose setting to raise.
 */
function budgetFindings(results: Results): BarReason[] {
  const cut = results.benchmarks.filter((b) => 2 * (b.generation?.base.max_tokens ?? 0) > b.outcomes.length);
  if (cut.length === 0) return [];
  const each = cut.map(
    (b) =>
      `${b.name} ${b.generation!.base.max_tokens}/${b.outcomes.length} at ${b.max_tokens ?? results.inference.max_tokens}`,
  );
  const fixes = [
    ...(cut.some((b) => b.kind === "own") ? ["the own benchmark's in adapter.yaml"] : []),
    ...(cut.some((b) => b.kind === "domain" || b.kind === "ood") ? ["the registry's in registry.yaml"] : []),
    ...(cut.some((b) => b.kind === "hidden") ? ["the hidden ones' in .github/loragate.yml"] : []),
  ];
  return [
    {
      rule: "measured",
      ok: true,
      text: `measured: most base answers ran into the token budget (${each.join(", ")} tokens), so those scores say little about the base; raise evaluation.max_tokens: ${fixes.join("; ")} ⚠`,
    },
  ];
}

/** The results as one training's adapter saw them: `adapter` is that seed's score on every item. */
function seedViews(results: Results): { seed: number; results: Results }[] {
  if (!results.seeds) return [{ seed: -1, results }];
  return results.seeds.map(({ seed }, i) => ({
    seed,
    results: {
      ...results,
      benchmarks: results.benchmarks.map((b) => ({
        ...b,
        outcomes: b.outcomes.map((o) => ({ ...o, adapter: o.adapter_by_seed?.[i] ?? o.adapter })),
      })),
    },
  }));
}

/** Per rule, the first failing training's reason (named by its seed), else the published adapter's. */
function combineReasons(perTraining: BarReason[][], views: { seed: number }[]): BarReason[] {
  return perTraining[0]!.map((reason, k) => {
    const failing = perTraining.findIndex((reasons) => !reasons[k]!.ok);
    if (failing < 0) return reason;
    const failed = perTraining[failing]!;
    return views.length > 1
      ? { ...failed[k]!, text: `${failed[k]!.text} (seed ${views[failing]!.seed})` }
      : failed[k]!;
  });
}

/**
 * A drop rule's verdict in words: the limit, the count comparison and the sign test that decide
 * (drop-rule.ts), so that a reader sees why a drop past the limit may still pass, or not.
 */
function dropRule(summary: PairedSummary, limitPoints: number, alpha: number) {
  const settings: DropRuleSettings = { limitPoints, alpha };
  const decision = dropDecision(summary, settings);
  const net = `${summary.losses} lost, ${summary.wins} won of ${summary.items}`;
  const sign = `one-sided sign p ${formatP(decision.p)}`;
  const text = !decision.overLimit
    ? `limit -${limitPoints} pts (${net}): within it`
    : decision.fails
      ? `limit -${limitPoints} pts (${net}): past it, and real (${sign} < ${alpha})`
      : `limit -${limitPoints} pts (${net}): past it, but within noise (${sign} >= ${alpha})`;
  return { ok: !decision.fails, text };
}

/** Every rule but completeness, for one training's adapter. */
function judgeOneTraining(results: Results, input: BarInput) {
  const { bar } = input.config;
  const summaries = results.benchmarks.map((benchmark) => ({
    benchmark,
    summary: pairedSummary(benchmark.outcomes),
  }));
  const find = (kind: BenchmarkResult["kind"]) => summaries.find((s) => s.benchmark.kind === kind);
  const own = find("own");
  const domain = find("domain");
  const gained = (s: PairedSummary) => s.delta > 0 && s.p < bar.domain.max_p_value;
  const change = (s: PairedSummary) =>
    `${points(s.delta)} (${s.base.toFixed(2)} -> ${s.adapter.toFixed(2)}), p ${formatP(s.p)}`;
  const test = (s: PairedSummary) =>
    `${change(s)} ${s.p < bar.domain.max_p_value ? "<" : ">="} ${bar.domain.max_p_value}`;
  const reasons: BarReason[] = [];

  if (!own) {
    reasons.push({ rule: "own", ok: false, text: "own benchmark: not evaluated ✗" });
  } else {
    const ok = !bar.domain.must_beat_base || gained(own.summary);
    reasons.push({ rule: "own", ok, text: `own benchmark: ${test(own.summary)} ${mark(ok)}` });
  }

  if (!domain) {
    const ok = bar.domain.require_registry_gain !== true;
    reasons.push({
      rule: "domain",
      ok,
      text: ok
        ? `domain ${results.domain}: the registry has no benchmark of this domain; the own benchmark alone shows the gain ✓`
        : `domain ${results.domain}: the bar asks for a gain on the registry's benchmark of this domain, and it has none ✗`,
    });
  } else {
    const limit = bar.domain.max_degradation_points;
    const held = dropRule(domain.summary, limit, bar.drop_rule.alpha);
    // where the registry can measure the gain, it asks for it unless told not to
    const mustGain = bar.domain.require_registry_gain ?? true;
    const gainOk = !mustGain || gained(domain.summary);
    const ok = held.ok && gainOk;
    reasons.push({
      rule: "domain",
      ok,
      text: mustGain
        ? `domain ${domain.benchmark.name} (registry): ${test(domain.summary)}; must gain; ${held.text} ${mark(ok)}`
        : `domain ${domain.benchmark.name} (registry): ${change(domain.summary)}; ${held.text} ${mark(ok)}`,
    });
  }

  for (const { benchmark, summary } of summaries) {
    if (benchmark.kind !== "ood" && benchmark.kind !== "hidden") continue;
    const limit =
      benchmark.kind === "ood" ? bar.out_of_domain.max_degradation_points : bar.hidden.max_degradation_points;
    const held = dropRule(summary, limit, bar.drop_rule.alpha);
    const label = benchmark.kind === "ood" ? `OOD ${benchmark.name}` : benchmark.name;
    reasons.push({
      rule: benchmark.kind === "ood" ? "out_of_domain" : "hidden",
      ok: held.ok,
      text: `${label}: ${points(summary.delta)}; ${held.text} ${mark(held.ok)}`,
    });
  }
  if (input.contaminatedExamples !== undefined) {
    const ok = input.contaminatedExamples === 0;
    reasons.push({
      rule: "contamination",
      ok,
      text: `contamination: ${input.contaminatedExamples} ${mark(ok)}`,
    });
  }
  const current = input.currentScore;
  if (current && (own || domain) && bar.upgrade.must_beat_current_version) {
    const score = domainScore({ own: own?.summary, domain: domain?.summary });
    const { version, adapter, imported } = current;
    const ok = adapter !== undefined && score >= adapter;
    const of = `${version}${imported ? " (imported, not gated by loragate)" : ""}`;
    reasons.push({
      rule: "upgrade",
      ok,
      text:
        adapter === undefined
          ? `upgrade: ${of} has no in-domain score on record to beat: a maintainer records it in registry.yaml ${mark(ok)}`
          : `upgrade: ${score.toFixed(2)} vs ${adapter.toFixed(2)} of ${of} ${mark(ok)}`,
    });
  }
  return { reasons, summaries, own: own?.summary, domain: domain?.summary };
}
