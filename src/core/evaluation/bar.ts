import type { Config } from "../schemas/config.ts";
import type { BenchmarkResult, Results } from "../schemas/results.ts";
import { type ExpectedResults, incompleteness } from "./completeness.ts";
import { type PairedSummary, pairedSummary } from "./statistics.ts";

/** One rule of the bar and how the results fared on it. */
export interface BarReason {
  rule: "complete" | "domain" | "out_of_domain" | "hidden" | "contamination" | "upgrade" | "override";
  ok: boolean;
  /** e.g. "domain: +14.0 pts (0.58 -> 0.72), p = 0.004 < 0.05 ✓"; an override's reason is untrusted text. */
  text: string;
}

export interface BarVerdict {
  pass: boolean;
  reasons: BarReason[];
  /** Per benchmark, in results order; the domain row pools own + domain items. */
  summaries: { benchmark: BenchmarkResult; summary: PairedSummary }[];
  domain: PairedSummary | undefined;
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

/** The merge rule, as a pure function of the results: every reason is stated, passing or not. */
export function evaluateBar({
  results,
  config,
  contaminatedExamples,
  currentScore,
  override,
  expected,
}: BarInput): BarVerdict {
  const { bar } = config;
  const summaries = results.benchmarks.map((benchmark) => ({
    benchmark,
    summary: pairedSummary(benchmark.outcomes),
  }));
  const reasons: BarReason[] = [];
  if (expected) {
    const problems = incompleteness(results, expected);
    reasons.push({
      rule: "complete",
      ok: problems.length === 0,
      text:
        problems.length === 0
          ? "complete: every benchmark and item evaluated once ✓"
          : `incomplete results: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? `; ${problems.length - 3} more` : ""} ✗`,
    });
  }

  const inDomain = results.benchmarks
    .filter((b) => b.kind === "own" || b.kind === "domain")
    .flatMap((b) => b.outcomes);
  const domain = inDomain.length > 0 ? pairedSummary(inDomain) : undefined;
  if (!domain) {
    reasons.push({ rule: "domain", ok: false, text: "domain: no in-domain benchmark was evaluated ✗" });
  } else {
    const better = domain.delta > 0;
    const significant = domain.p < bar.domain.max_p_value;
    const ok = !bar.domain.must_beat_base || (better && significant);
    reasons.push({
      rule: "domain",
      ok,
      text: `domain: ${points(domain.delta)} (${domain.base.toFixed(2)} -> ${domain.adapter.toFixed(2)}), p ${formatP(domain.p)} ${significant ? "<" : ">="} ${bar.domain.max_p_value} ${mark(ok)}`,
    });
  }
  for (const { benchmark, summary } of summaries) {
    if (benchmark.kind !== "ood" && benchmark.kind !== "hidden") continue;
    const limit =
      benchmark.kind === "ood" ? bar.out_of_domain.max_degradation_points : bar.hidden.max_degradation_points;
    const drop = -summary.delta * 100;
    const ok = drop <= limit;
    const label = benchmark.kind === "ood" ? `OOD ${benchmark.name}` : benchmark.name;
    reasons.push({
      rule: benchmark.kind === "ood" ? "out_of_domain" : "hidden",
      ok,
      text: `${label}: ${points(summary.delta)} (limit -${limit} pts) ${mark(ok)}`,
    });
  }
  if (contaminatedExamples !== undefined) {
    const ok = contaminatedExamples === 0;
    reasons.push({ rule: "contamination", ok, text: `contamination: ${contaminatedExamples} ${mark(ok)}` });
  }
  if (currentScore && domain && bar.upgrade.must_beat_current_version) {
    const { version, adapter, imported } = currentScore;
    const ok = adapter !== undefined && domain.adapter >= adapter;
    const of = `${version}${imported ? " (imported, not gated by loragate)" : ""}`;
    reasons.push({
      rule: "upgrade",
      ok,
      text:
        adapter === undefined
          ? `upgrade: ${of} has no in-domain score on record to beat: a maintainer records it in registry.yaml ${mark(ok)}`
          : `upgrade: ${domain.adapter.toFixed(2)} vs ${adapter.toFixed(2)} of ${of} ${mark(ok)}`,
    });
  }
  const pass = reasons.every((r) => r.ok);
  if (override) {
    reasons.push({ rule: "override", ok: true, text: `override by @${override.by}: ${override.reason}` });
  }
  return { pass: pass || override !== undefined, reasons, summaries, domain };
}
