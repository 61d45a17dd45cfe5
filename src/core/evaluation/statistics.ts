import { binomialPmf, binomialSupport, binomialUpper, solveUpperTail } from "./binomial.ts";

/** Paired statistics of adapter vs base on the same benchmark items. */

/**
 * Exact two-sided McNemar test on the discordant pairs: b items only the adapter got right,
 * c items only the base got right. Under the null each discordant pair is a fair coin, so
 * p = min(1, 2 * P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2). With continuous scores it is
 * the sign test on the items where the two differ, the same computation.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // Sum in log space: n can be thousands.
  let logTerm = -n * Math.LN2; // log C(n, 0) / 2^n
  let tail = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i);
    tail += Math.exp(logTerm);
  }
  return Math.min(1, 2 * tail);
}

/** The paired test a benchmark's p comes from: McNemar's exact test on 0/1 scores, else the sign test. */
export type PairedTest = "McNemar exact" | "sign test";

export interface PairedSummary {
  items: number;
  base: number;
  adapter: number;
  /** adapter - base, in score units (0..1). */
  delta: number;
  /** Items where the adapter scored higher / lower than the base. */
  wins: number;
  losses: number;
  /** Sum over items of base - adapter: with 0/1 scores the whole number losses - wins. */
  drop: number;
  p: number;
  test: PairedTest;
  /**
   * 95% interval of (wins - losses) / items, exact on the discordant pairs (Clopper-Pearson on the
   * share of wins among them, times their share of the items): it excludes 0 exactly when p < 0.05.
   * With 0/1 scores that is the interval of Δ.
   */
  ci95: [number, number];
}

export const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * The exact 95% interval of (wins - losses) / items, conditional on the wins + losses discordant
 * pairs: the Clopper-Pearson interval of the share of wins π among them, mapped by
 * (wins + losses) / items x (2π - 1). It contains 0 exactly when the two-sided exact test's
 * p >= 0.05, so the interval and the p never disagree.
 */
export function discordantInterval(wins: number, losses: number, items: number): [number, number] {
  const m = wins + losses;
  if (m === 0 || items === 0) return [0, 0];
  const low = wins === 0 ? 0 : solveUpperTail(m, wins, 0.025);
  const high = losses === 0 ? 1 : 1 - solveUpperTail(m, losses, 0.025);
  const share = m / items;
  return [share * (2 * low - 1), share * (2 * high - 1)];
}

export function pairedSummary(outcomes: readonly { base: number; adapter: number }[]): PairedSummary {
  let wins = 0;
  let losses = 0;
  let baseSum = 0;
  let adapterSum = 0;
  let binary = true;
  for (const o of outcomes) {
    if (o.adapter > o.base) wins++;
    else if (o.adapter < o.base) losses++;
    baseSum += o.base;
    adapterSum += o.adapter;
    binary &&= (o.base === 0 || o.base === 1) && (o.adapter === 0 || o.adapter === 1);
  }
  const n = outcomes.length;
  const base = n ? baseSum / n : 0;
  const adapter = n ? adapterSum / n : 0;
  return {
    items: n,
    base,
    adapter,
    delta: adapter - base,
    wins,
    losses,
    // 0/1 scores sum exactly (integers below 2^53), so this is the count difference
    drop: baseSum - adapterSum,
    p: mcnemarExact(wins, losses),
    test: binary ? "McNemar exact" : "sign test",
    ci95: discordantInterval(wins, losses, n),
  };
}

/** Power the gain statements are made at (the usual planning value). */
export const POWER = 0.8;
/** Spread of per-item differences assumed before any result exists: a quarter of the items change. */
export const PLANNING_SD = 0.5;

/**
 * For each count m of discordant pairs in [lo, hi], the smallest count k with `test(m, k)`, where
 * `test` holds for every k above a threshold that rises by 0 or 1 as m grows by 1 (the critical
 * values of the exact binomial tests): one or two tail evaluations per m instead of a search.
 */
function criticalCounts(lo: number, hi: number, test: (m: number, k: number) => boolean): Int32Array {
  const out = new Int32Array(hi - lo + 1);
  let k = 0;
  // the first by bisection, the rest by stepping from the last
  let a = 0;
  let b = lo + 1;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (test(lo, mid)) b = mid;
    else a = mid + 1;
  }
  k = a;
  out[0] = k;
  for (let m = lo + 1; m <= hi; m++) {
    while (k > 0 && test(m, k - 1)) k--;
    while (k <= m && !test(m, k)) k++;
    out[m - lo] = k;
  }
  return out;
}

/**
 * P(reject) of a rule on n items whose per-item outcome is a win with probability `pWin`, a loss
 * with `pLoss`, else a tie: the rule fails (or passes) when the count of the outcome it watches
 * reaches `critical(m)` among the m discordant pairs. Exact up to float rounding (the trinomial
 * summed over m, each conditional binomial tail through the incomplete beta function).
 */
function rejectionRate(params: {
  items: number;
  discordance: number;
  /** P(the watched outcome | discordant). */
  share: number;
  critical: (lo: number, hi: number) => Int32Array;
}): number {
  const { items: n, discordance: q, share } = params;
  if (q <= 0) return 0;
  const [lo, hi] = binomialSupport(n, q);
  const critical = params.critical(lo, hi);
  let total = 0;
  for (let m = lo; m <= hi; m++) total += binomialPmf(n, m, q) * binomialUpper(m, critical[m - lo]!, share);
  return Math.min(1, total);
}

/** Share of items whose score changes when a mean gain of `gain` comes with per-item spread `sd`. */
export const discordanceFor = (gain: number, sd: number) =>
  Math.min(1, Math.max(Math.abs(gain), sd * sd + gain * gain));

/**
 * Exact power of the bar's gain rule (more wins than losses and McNemar's exact two-sided p < alpha)
 * on `items` 0/1 items, for a true mean gain `gain` whose per-item differences have standard
 * deviation `sd`: a share q = sd² + gain² of the items change, (q + gain) / 2 for the adapter.
 */
export function gainPower(params: { items: number; gain: number; sd: number; alpha: number }): number {
  const { items, gain, sd, alpha } = params;
  const q = discordanceFor(gain, sd);
  return rejectionRate({
    items,
    discordance: q,
    share: (q + gain) / (2 * q),
    // mcnemarExact(b, m - b) = 2 P(X >= b) for b above m / 2, and alpha / 2 < 1/2 puts b there
    critical: (lo, hi) => criticalCounts(lo, hi, (m, b) => binomialUpper(m, b, 0.5) < alpha / 2),
  });
}

/**
 * The smallest mean gain (0..1) the exact McNemar test on `items` items detects at two-sided `alpha`
 * with 80% power, for per-item differences of standard deviation `sd` (to 0.01 points).
 */
export function detectableGain(params: { items: number; sd: number; alpha: number }): number {
  const { items, sd, alpha } = params;
  if (items === 0) return 1;
  const power = (gain: number) => gainPower({ items, gain, sd, alpha });
  if (power(1) < POWER) return 1;
  let lo = 0;
  let hi = 1;
  while (hi - lo > Math.max(1e-6, 1e-3 * hi)) {
    const mid = (lo + hi) / 2;
    if (power(mid) >= POWER) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The smallest n for which `holds(n)` is true, searched by doubling and bisection: exact where
 * `holds` is monotone in n, a size at which it holds otherwise (discrete tests saw-tooth a little).
 */
export function smallestSize(holds: (n: number) => boolean, start = 8, max = 10_000_000): number {
  let hi = start;
  while (!holds(hi)) {
    if (hi >= max) return max;
    hi = Math.min(max, hi * 2);
  }
  let lo = Math.floor(hi / 2);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (holds(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Items a benchmark needs to detect `gain` (0..1) at `alpha` with 80% power, at the planning spread; at
 * most MAX_ITEMS_TO_DETECT (a tiny planned gain needs more than any benchmark holds, not Infinity).
 */
export function itemsToDetect(params: { gain: number; alpha: number }): number {
  const { gain, alpha } = params;
  return smallestSize(
    (items) => gainPower({ items, gain, sd: PLANNING_SD, alpha }) >= POWER,
    8,
    MAX_ITEMS_TO_DETECT,
  );
}

/** As many items as any benchmark may hold (limits cap a file at 10,000,000 items and far fewer bytes). */
export const MAX_ITEMS_TO_DETECT = 10_000_000;

/** Sample standard deviation of the paired differences. */
export function differenceSd(outcomes: readonly { base: number; adapter: number }[]): number {
  const differences = outcomes.map((o) => o.adapter - o.base);
  if (differences.length < 2) return 0;
  const m = mean(differences);
  return Math.sqrt(differences.reduce((sum, d) => sum + (d - m) ** 2, 0) / (differences.length - 1));
}

export { criticalCounts, rejectionRate };
