import { mulberry32 } from "../random.ts";

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

export interface PairedSummary {
  items: number;
  base: number;
  adapter: number;
  /** adapter - base, in score units (0..1). */
  delta: number;
  /** Items where the adapter scored higher / lower than the base. */
  wins: number;
  losses: number;
  p: number;
  /** 95% interval of the mean difference (bootstrap; normal approximation for large benchmarks). */
  ci95: [number, number];
}

export const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;

/** Percentile bootstrap of the mean paired difference, `resamples` times, seeded. */
export function bootstrapInterval(
  differences: readonly number[],
  resamples = 10_000,
  seed = 42,
): [number, number] {
  if (differences.length === 0) return [0, 0];
  const random = mulberry32(seed);
  const means = new Float64Array(resamples);
  const n = differences.length;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  return [means[Math.floor(0.025 * (resamples - 1))]!, means[Math.ceil(0.975 * (resamples - 1))]!];
}

/** Resampled draws the bootstrap may take (n x resamples): about 0.2 s here. */
const BOOTSTRAP_BUDGET = 20_000_000;

/**
 * The 95% interval of the mean paired difference: the seeded 10,000-resample bootstrap while it
 * stays within BOOTSTRAP_BUDGET (n <= 2,000), else the normal interval mean ± 1.96 s/√n, which the
 * bootstrap approaches at such sizes (central limit), so a scorecard of any size returns at once.
 */
export function meanInterval(differences: readonly number[], seed = 42): [number, number] {
  const n = differences.length;
  if (n * 10_000 <= BOOTSTRAP_BUDGET) return bootstrapInterval(differences, 10_000, seed);
  const m = mean(differences);
  const variance = differences.reduce((sum, d) => sum + (d - m) ** 2, 0) / (n - 1);
  const half = 1.959964 * Math.sqrt(variance / n);
  return [m - half, m + half];
}

export function pairedSummary(
  outcomes: readonly { base: number; adapter: number }[],
  seed = 42,
): PairedSummary {
  const differences = outcomes.map((o) => o.adapter - o.base);
  const wins = differences.filter((d) => d > 0).length;
  const losses = differences.filter((d) => d < 0).length;
  const base = mean(outcomes.map((o) => o.base));
  const adapter = mean(outcomes.map((o) => o.adapter));
  return {
    items: outcomes.length,
    base,
    adapter,
    delta: adapter - base,
    wins,
    losses,
    p: mcnemarExact(wins, losses),
    ci95: meanInterval(differences, seed),
  };
}

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Power the gain statements are made at (the usual planning value). */
export const POWER = 0.8;
/** Spread of per-item differences assumed before any result exists: a quarter of the items change. */
export const PLANNING_SD = 0.5;

/**
 * The two-sided test's z at `alpha` plus the z of 80% power, finite however small `alpha` is (1 - alpha/2
 * rounds to 1 under alpha ~1e-16, where the quantile is infinite and the gains came out NaN).
 */
const testZ = (alpha: number) =>
  -normalQuantile(Math.max(alpha / 2, Number.MIN_VALUE)) + normalQuantile(POWER);

/** Fewest items the adapter must win outright for the two-sided exact McNemar test to reach `alpha`. */
const fewestWins = (alpha: number) => Math.ceil(Math.log2(2 / alpha));

/**
 * The smallest mean gain (0..1) a paired test on `items` items detects at two-sided `alpha` with 80%
 * power, for per-item differences of standard deviation `sd` (normal approximation), and never below
 * what the exact McNemar test can reach at all (it needs ⌈log2(2/alpha)⌉ wins and no loss).
 */
export function detectableGain(params: { items: number; sd: number; alpha: number }): number {
  const { items, sd, alpha } = params;
  if (items === 0) return 1;
  const normal = (testZ(alpha) * sd) / Math.sqrt(items);
  return Math.min(1, Math.max(normal, fewestWins(alpha) / items));
}

/**
 * Items a benchmark needs to detect `gain` (0..1) at `alpha` with 80% power, at the planning spread; at
 * most MAX_ITEMS_TO_DETECT (a tiny planned gain needs more than any benchmark holds, not Infinity).
 */
export function itemsToDetect(params: { gain: number; alpha: number }): number {
  const { gain, alpha } = params;
  const z = testZ(alpha);
  const needed = Math.max(Math.ceil(((z * PLANNING_SD) / gain) ** 2), Math.ceil(fewestWins(alpha) / gain));
  return Number.isFinite(needed) ? Math.min(needed, MAX_ITEMS_TO_DETECT) : MAX_ITEMS_TO_DETECT;
}

/** More items than any benchmark may hold (limits cap a file at 10,000,000 items and far less bytes). */
export const MAX_ITEMS_TO_DETECT = 1e12;

/** Sample standard deviation of the paired differences. */
export function differenceSd(outcomes: readonly { base: number; adapter: number }[]): number {
  const differences = outcomes.map((o) => o.adapter - o.base);
  if (differences.length < 2) return 0;
  const m = mean(differences);
  return Math.sqrt(differences.reduce((sum, d) => sum + (d - m) ** 2, 0) / (differences.length - 1));
}
