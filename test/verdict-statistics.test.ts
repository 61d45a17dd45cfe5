/**
 * The bar's decisions on noisy numbers and their error rates (issue #33 items 1, 5, 6): each rate is
 * computed exactly and checked three ways: the library's fast sum, a brute-force enumeration of every
 * (wins, losses) outcome here, and exact rational arithmetic in Python (values quoted below, from
 * fractions.Fraction and math.comb, scripts in the comments).
 */
import { describe, expect, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { dropDecision, dropErrorRates, itemsForDropRule } from "../src/core/evaluation/drop-rule.ts";
import { renderScorecard } from "../src/core/evaluation/scorecard.ts";
import { renderScorecardText } from "../src/core/evaluation/scorecard-text.ts";
import {
  detectableGain,
  discordantInterval,
  gainPower,
  itemsToDetect,
  mcnemarExact,
  pairedSummary,
} from "../src/core/evaluation/statistics.ts";
import { checkRegistry } from "../src/core/check.ts";
import { ConfigSchema, DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import type { Results } from "../src/core/schemas/results.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

const { bar } = DEFAULT_CONFIG;
const settings = { limitPoints: bar.out_of_domain.max_degradation_points, alpha: bar.drop_rule.alpha };

/** log k!, summed (independent of the library's log-gamma). */
const logFactorials = (n: number) => {
  const out = [0];
  for (let k = 1; k <= n; k++) out.push(out[k - 1]! + Math.log(k));
  return out;
};

/** P(fail) by enumerating every (wins, losses) of n items under a trinomial, deciding each with dropDecision. */
function bruteForceFailure(n: number, pWin: number, pLoss: number): number {
  const lf = logFactorials(n);
  let total = 0;
  for (let w = 0; w <= n; w++)
    for (let l = 0; w + l <= n; l++) {
      const summary = { ...pairedSummary([]), items: n, wins: w, losses: l, drop: l - w };
      if (!dropDecision(summary, settings).fails) continue;
      const ties = n - w - l;
      total += Math.exp(
        lf[n]! -
          lf[w]! -
          lf[l]! -
          lf[ties]! +
          (w ? w * Math.log(pWin) : 0) +
          (l ? l * Math.log(pLoss) : 0) +
          (ties ? ties * Math.log(1 - pWin - pLoss) : 0),
      );
    }
  return total;
}

/** An OOD benchmark of `items` 0/1 items where the adapter loses `losses` and wins `wins` of them. */
function withOod(items: number, losses: number, wins: number): Results {
  const results = sampleResults();
  const ood = results.benchmarks.find((b) => b.kind === "ood")!;
  ood.outcomes = Array.from({ length: items }, (_, i) => ({
    id: `code-${i}`,
    base: i < losses ? 1 : 0,
    adapter: i >= losses && i < losses + wins ? 1 : 0,
  }));
  return results;
}

describe("the drop rules: a decision with known error rates (item 1)", () => {
  const discordance = bar.drop_rule.discordance;
  const needed = itemsForDropRule({ settings, falsePass: bar.drop_rule.false_pass, discordance });

  it("at the size `check` asks for, the default limits meet both targets, computed exactly", () => {
    expect(needed).toBe(166);
    const rates = dropErrorRates({ items: needed, settings, discordance });
    expect(rates.falseFailure).toBeLessThanOrEqual(0.05);
    expect(rates.falsePass).toBeLessThanOrEqual(0.2);
    // one item fewer misses the false-pass target: the size asked for is the smallest
    expect(dropErrorRates({ items: needed - 1, settings, discordance }).falsePass).toBeGreaterThan(0.2);
    // Python, exact rationals: (0.03694433645965921, 0.19945932019806065)
    expect(rates.falseFailure).toBeCloseTo(0.03694433645965921, 12);
    expect(rates.falsePass).toBeCloseTo(0.19945932019806065, 12);
    // the same by enumerating every outcome
    expect(rates.falseFailure).toBeCloseTo(bruteForceFailure(needed, 0.125, 0.125), 12);
    expect(1 - rates.falsePass).toBeCloseTo(bruteForceFailure(needed, 0.075, 0.175), 12);
  });

  it("a harmless adapter fails at most alpha at every size and discordance; the issue's 60-item case", () => {
    for (const items of [20, 60, 100, 166, 500, 2000])
      for (const q of [0.05, 0.2, 0.5, 1])
        expect(dropErrorRates({ items, settings, discordance: q }).falseFailure).toBeLessThanOrEqual(0.05);
    // 60 items, 20% of scores change: today's point rule failed a harmless adapter 15% of the time;
    // Python, exact rationals: (0.026534055104717524, 0.569525443894419)
    const rates = dropErrorRates({ items: 60, settings, discordance: 0.2 });
    expect(rates.falseFailure).toBeCloseTo(0.026534055104717524, 12);
    expect(rates.falsePass).toBeCloseTo(0.569525443894419, 12);
    expect(rates.falseFailure).toBeCloseTo(bruteForceFailure(60, 0.1, 0.1), 12);
  });

  it("a drop past the limit that the sign test cannot tell from noise passes, and says so", () => {
    // 60 items: 4 lost, 0 won is -6.7 points, one-sided p = 1/16
    const noisy = evaluateBar({ results: withOod(60, 4, 0), config: DEFAULT_CONFIG });
    expect(noisy.reasons.find((r) => r.rule === "out_of_domain")).toEqual({
      rule: "out_of_domain",
      ok: true,
      text: "OOD code: -6.7 pts; limit -5 pts (4 lost, 0 won of 60): past it, but within noise (one-sided sign p = 0.062 >= 0.05) ✓",
    });
    const real = evaluateBar({ results: withOod(60, 6, 0), config: DEFAULT_CONFIG });
    expect(real.reasons.find((r) => r.rule === "out_of_domain")).toEqual({
      rule: "out_of_domain",
      ok: false,
      text: "OOD code: -10.0 pts; limit -5 pts (6 lost, 0 won of 60): past it, and real (one-sided sign p = 0.016 < 0.05) ✗",
    });
  });

  it("the scorecard says what each maintainers' benchmark can tell at its size", () => {
    const results = sampleResults();
    const verdict = evaluateBar({ results, config: DEFAULT_CONFIG });
    const line =
      "Drop rule on math, code, hidden 1 (60 items each, limit -5 pts), if 25.0% of item scores change: an adapter that changes nothing fails 3.0% of the time; one that costs 10 pts passes 62.5%; too few: 166 would hold the chance of passing that cost to 20.0%.";
    expect(renderScorecard({ results, verdict })).toContain(line);
    expect(renderScorecardText({ results, verdict })).toContain(line);
    const big = withOod(200, 0, 0);
    expect(
      renderScorecard({ results: big, verdict: evaluateBar({ results: big, config: DEFAULT_CONFIG }) }),
    ).toContain(
      "Drop rule on code (200 items, limit -5 pts), if 25.0% of item scores change: an adapter that changes nothing fails 3.8% of the time; one that costs 10 pts passes 13.3%; enough to hold the bar's targets.",
    );
  });

  it("`check` of the whole registry warns about maintainers' benchmarks too small for the limits", async () => {
    const report = await checkRegistry({
      source: new FsRegistrySource(FIXTURE_ROOT),
      skipContamination: true,
    });
    const warnings = report.registry.findings.filter((f) => f.rule === "benchmark-too-small-for-limits");
    expect(warnings).toEqual([
      expect.objectContaining({
        severity: "warning",
        field: "benchmarks",
        message:
          "an adapter that costs 10 points passes the -5-point drop rule of math (60 items: 63%), code (60 items: 63%), analysis (60 items: 63%) of the time (if 25% of item scores change), over the bar's 20%",
        hint: "grow each to 166 items, or accept that error rate",
      }),
    ]);
    // one adapter's check (what a pull request runs) leaves the registry's sizing to its maintainers
    const one = await checkRegistry({
      source: new FsRegistrySource(FIXTURE_ROOT),
      adapter: "math-gsm8k",
      skipContamination: true,
    });
    expect(one.registry.findings.some((f) => f.rule === "benchmark-too-small-for-limits")).toBe(false);
  });
});

describe("boundaries in exact arithmetic (item 6)", () => {
  it.each([20, 40, 60, 80, 100, 120, 200, 500])(
    "a drop of exactly 5.0 points on %i items holds; one more lost item past it fails when it is real",
    (items) => {
      const losses = items / 20; // exactly 5 points
      const at = evaluateBar({ results: withOod(items, losses, 0), config: DEFAULT_CONFIG });
      expect(at.reasons.find((r) => r.rule === "out_of_domain")!.ok).toBe(true);
      const past = dropDecision(
        pairedSummary(withOod(items, losses + 1, 0).benchmarks[2]!.outcomes),
        settings,
      );
      expect(past.overLimit).toBe(true);
      // one-sided p of losses + 1 losses and no win is 2^-(losses + 1)
      expect(past.fails).toBe(2 ** -(losses + 1) < 0.05);
    },
  );
  it("limits are hundredths of a point: 0.1 x 3 items is not rounded into a pass or a fail", () => {
    const summary = { ...pairedSummary([]), items: 1000, wins: 0, losses: 3, drop: 3 };
    expect(dropDecision(summary, { limitPoints: 0.3, alpha: 0.5 }).overLimit).toBe(false);
    expect(dropDecision({ ...summary, losses: 4, drop: 4 }, { limitPoints: 0.3, alpha: 0.5 }).overLimit).toBe(
      true,
    );
    expect(
      ConfigSchema.safeParse({ bar: { out_of_domain: { max_degradation_points: 0.125 } } }).success,
    ).toBe(false);
  });
});

describe("power and intervals that agree with the test (item 5)", () => {
  it("power is McNemar's exact test's, not a z-test's: the issue's figures", () => {
    // Python, exact sums over the trinomial: 0.7081499169551842 and 0.7624162812994507
    expect(gainPower({ items: 50, gain: 0.198, sd: 0.5, alpha: 0.05 })).toBeCloseTo(0.708149916955184, 10);
    expect(gainPower({ items: 197, gain: 0.1, sd: 0.5, alpha: 0.05 })).toBeCloseTo(0.7624162812994507, 10);
    const gain = detectableGain({ items: 50, sd: 0.5, alpha: 0.05 });
    expect(gain).toBeCloseTo(0.218, 3);
    expect(gainPower({ items: 50, gain, sd: 0.5, alpha: 0.05 })).toBeGreaterThanOrEqual(0.8);
    expect(itemsToDetect({ gain: 0.1, alpha: 0.05 })).toBe(215);
    expect(gainPower({ items: 215, gain: 0.1, sd: 0.5, alpha: 0.05 })).toBeGreaterThanOrEqual(0.8);
    // with no spread every changed item is a win: at least 6 of them are needed for p < 0.05
    expect(detectableGain({ items: 50, sd: 0, alpha: 0.05 })).toBeGreaterThan(6 / 50);
  });
  it("the interval excludes 0 exactly when p < 0.05: 5 wins, 0 losses of 60 no longer reads as a gain", () => {
    const [low, high] = discordantInterval(5, 0, 60);
    expect(low).toBeLessThan(0);
    expect(high).toBeCloseTo(5 / 60, 12);
    expect(mcnemarExact(5, 0)).toBeCloseTo(0.0625, 12);
    for (let wins = 0; wins <= 30; wins++)
      for (let losses = 0; losses <= 30; losses++) {
        const [lo, hi] = discordantInterval(wins, losses, 100);
        const excludes = lo > 0 || hi < 0;
        expect(excludes, `${wins} won, ${losses} lost`).toBe(mcnemarExact(wins, losses) < 0.05);
      }
  });
  it("names the test: McNemar exact on 0/1 scores, the sign test on rouge_l's", () => {
    expect(pairedSummary([{ base: 0, adapter: 1 }]).test).toBe("McNemar exact");
    expect(pairedSummary([{ base: 0.25, adapter: 0.5 }]).test).toBe("sign test");
    const results = sampleResults();
    results.benchmarks[2] = {
      ...results.benchmarks[2]!,
      evaluation_type: "rouge_l",
      outcomes: results.benchmarks[2]!.outcomes.map((o) => ({ ...o, adapter: o.adapter * 0.5 })),
    };
    const markdown = renderScorecard({ results, verdict: evaluateBar({ results, config: DEFAULT_CONFIG }) });
    expect(markdown).toMatch(/\| code \| registry's, other domain \| 60 \|[^\n]*\| sign test \|/);
    expect(markdown).toMatch(/\| math \| registry's domain \| 60 \|[^\n]*\| McNemar exact \|/);
  });
});
