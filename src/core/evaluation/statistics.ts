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
  /** 95% bootstrap interval of the mean difference. */
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
    ci95: bootstrapInterval(differences, 10_000, seed),
  };
}
