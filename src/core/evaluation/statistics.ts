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
