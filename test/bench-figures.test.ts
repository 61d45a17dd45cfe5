/** How `npm run bench -- --quick` judges a figure: its goal first, then against the recorded ratio. */
import { describe, expect, it, vi } from "vitest";
import { type Figure, TOLERANCE, verdict } from "../benchmarks/figures.ts";
import { runQuick } from "../benchmarks/quick.ts";

const higher = (value: number, goal?: number): Figure => ({
  name: "bench.speedup",
  what: "",
  value,
  better: "higher",
  goal,
});
const lower = (value: number, goal?: number): Figure => ({
  name: "bench.cost",
  what: "",
  value,
  better: "lower",
  goal,
});

describe("quick benchmark verdicts", () => {
  it("passes a ratio within 20% of the recorded one, in either direction of better", () => {
    expect(verdict(higher(10), 11.9)).toBeUndefined();
    expect(verdict(lower(2.39), 2)).toBeUndefined();
    expect(verdict(higher(30), 10)).toBeUndefined(); // better than recorded
    expect(verdict(lower(1), 2)).toBeUndefined();
  });

  it("fails a ratio more than 20% worse than recorded, naming the figure and both numbers", () => {
    expect(verdict(higher(10), 10 * TOLERANCE * 1.01)).toMatch(
      /^bench\.speedup 10\.00x is 21% worse than recorded \(12\.12x in benchmarks\/results\/quick\.json; 20% allowed\)$/,
    );
    expect(verdict(lower(2.5), 2)).toMatch(/^bench\.cost 2\.50x is 25% worse than recorded/);
  });

  it("fails a ratio that misses its goal even when nothing is recorded", () => {
    expect(verdict(higher(17.9, 18), undefined)).toBe("bench.speedup 17.90x misses its goal (>= 18x)");
    expect(verdict(lower(3.1, 3), 3.1)).toBe("bench.cost 3.10x misses its goal (<= 3x)");
    expect(verdict(higher(18, 18), undefined)).toBeUndefined();
  });

  it("fails what is not a ratio (an anchor that took no time, a run that divided by zero)", () => {
    expect(verdict(higher(Number.NaN), 2)).toMatch(/is NaN, not a ratio/);
    expect(verdict(lower(Number.POSITIVE_INFINITY), undefined)).toMatch(/is Infinity, not a ratio/);
  });
});

describe("a quick run", () => {
  /** A bench whose figure is each of `values` in turn (goal 18x), counting its runs. */
  const bench = (...values: number[]) => {
    const runs = { count: 0 };
    const run = async () => [
      { ...higher(values[Math.min(runs.count++, values.length - 1)]!, 18), name: "t.x" },
    ];
    return { runs, run };
  };
  const quietly = async (benches: Record<string, () => Promise<Figure[]>>) => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      return { code: await runQuick([], false, benches), errors: error.mock.calls.map((c) => String(c[0])) };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  };

  it("runs a bench whose figure failed again, and fails only on a figure that failed three times", async () => {
    const [once, always, never] = [bench(10, 10, 20), bench(10), bench(20)];
    expect(await quietly({ once: once.run, never: never.run })).toEqual({ code: 0, errors: [] });
    expect([once.runs.count, never.runs.count]).toEqual([3, 1]);
    const failed = await quietly({ always: always.run });
    expect(failed.code).toBe(1);
    expect(always.runs.count).toBe(3);
    expect(failed.errors).toEqual([
      "bench --quick: t.x 10.00x misses its goal (>= 18x) (in 3 runs of its bench)",
    ]);
  });
});
