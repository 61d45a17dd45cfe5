/**
 * "May not drop more than L points", as a stated decision with known error rates. A maintainers'
 * benchmark fails the adapter when both hold:
 *
 * - the drop exceeds the limit: losses - wins > L/100 x items, compared in whole numbers (hundredths
 *   of a point), so a drop of exactly L points holds at every size;
 * - the drop is real: the one-sided exact sign test on the discordant pairs (losses of wins + losses,
 *   a fair coin under "the adapter changes nothing") gives p < alpha.
 *
 * The second makes the false-failure rate of an adapter that changes nothing at most alpha at every
 * size and whatever share of items change; the first keeps a small real drop from failing a large
 * benchmark. The false-pass rate of an adapter that costs twice the limit falls with the benchmark's
 * size: `itemsForDropRule` is the size at which it meets the bar's target, and `dropErrorRates`
 * computes both rates exactly for any size.
 */
import { binomialUpper } from "./binomial.ts";
import { criticalCounts, type PairedSummary, rejectionRate, smallestSize } from "./statistics.ts";

export interface DropRuleSettings {
  /** The limit, in points (a multiple of 0.01). */
  limitPoints: number;
  /** Largest false-failure rate of an adapter that changes nothing (one-sided level of the sign test). */
  alpha: number;
}

/** The limit in hundredths of a point: a whole number, so that every comparison is exact. */
const hundredths = (points: number) => Math.round(points * 100);

export interface DropDecision {
  fails: boolean;
  /** Whether losses - wins exceeds the limit (counts, exactly). */
  overLimit: boolean;
  /** One-sided exact sign-test p of "the adapter loses more items than it wins". */
  p: number;
}

/** The drop rule on one benchmark's paired summary. */
export function dropDecision(summary: PairedSummary, settings: DropRuleSettings): DropDecision {
  const { items, wins, losses, drop } = summary;
  // drop is losses - wins with 0/1 scores; x 10,000 and the limit in hundredths keep both sides whole
  const overLimit = drop * 10_000 > hundredths(settings.limitPoints) * items;
  const p = binomialUpper(wins + losses, losses, 0.5);
  return { fails: overLimit && p < settings.alpha, overLimit, p };
}

/** The fewest losses among m discordant pairs with which the rule fails, for each m in [lo, hi]. */
function failingLosses(items: number, settings: DropRuleSettings) {
  const limit = hundredths(settings.limitPoints);
  return (lo: number, hi: number) => {
    const significant = criticalCounts(lo, hi, (m, c) => binomialUpper(m, c, 0.5) < settings.alpha);
    for (let m = lo; m <= hi; m++) {
      // (2c - m) x 10,000 > limit x items, in whole numbers
      const overLimit = Math.floor((m * 10_000 + limit * items) / 20_000) + 1;
      significant[m - lo] = Math.max(significant[m - lo]!, overLimit);
    }
    return significant;
  };
}

export interface DropErrorRates {
  /** P(fail) for an adapter that changes nothing: as many items won as lost, on average. */
  falseFailure: number;
  /** P(pass) for an adapter that costs twice the limit. */
  falsePass: number;
}

/**
 * Both error rates of the drop rule on `items` 0/1 items, exactly, when a share `discordance` of the
 * items change score (for the costly adapter at least twice the limit: every changed item a loss).
 */
export function dropErrorRates(params: {
  items: number;
  settings: DropRuleSettings;
  discordance: number;
}): DropErrorRates {
  const { items, settings, discordance } = params;
  return {
    falseFailure: rejectionRate({ items, discordance, share: 0.5, critical: failingLosses(items, settings) }),
    falsePass: falsePassRate(params),
  };
}

/** dropErrorRates' falsePass alone (sizing a benchmark, and warning of one too small, ask for no other). */
export function falsePassRate(params: {
  items: number;
  settings: DropRuleSettings;
  discordance: number;
}): number {
  const { items, settings, discordance } = params;
  const cost = (2 * settings.limitPoints) / 100;
  const costly = Math.min(1, Math.max(discordance, cost));
  const critical = failingLosses(items, settings);
  return 1 - rejectionRate({ items, discordance: costly, share: (costly + cost) / (2 * costly), critical });
}

/** Most items a benchmark may hold (results.json's bound): past it, no size meets the target. */
const MAX_ITEMS = 1_000_000;

/**
 * The benchmark size at which the drop rule passes an adapter costing twice the limit at most
 * `falsePass`; Infinity when no benchmark of up to a million items does (a limit of 0 never can).
 */
export function itemsForDropRule(params: {
  settings: DropRuleSettings;
  falsePass: number;
  discordance: number;
}): number {
  const { settings, falsePass, discordance } = params;
  if (settings.limitPoints <= 0) return Infinity;
  // Searched from small sizes up: the largest size costs ~0.1 s to evaluate, and only a size the
  // search cannot find below it needs it (`check` runs this on every whole-registry check).
  const meets = (items: number) => falsePassRate({ items, settings, discordance }) <= falsePass;
  const items = smallestSize(meets, 8, MAX_ITEMS);
  return items < MAX_ITEMS || meets(MAX_ITEMS) ? items : Infinity;
}
