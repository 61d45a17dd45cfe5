/**
 * Routing as a contributor can make it costly (issue 35, item 2): an own benchmark of hundreds of
 * thousands of items and a registry of many keywords. One automaton reads each question once, whatever
 * the number of keywords, and the app routes large benchmarks off its thread.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectableGain, itemsToDetect, MAX_ITEMS_TO_DETECT } from "../src/core/evaluation/statistics.ts";
import { keywordAutomaton } from "../src/core/router/keyword-automaton.ts";
import { keywordRouter, type RoutedAdapter } from "../src/core/router/keyword-router.ts";
import { ROUTE_HERE_MAX_CHARS, routeBenchmarksAway } from "../src/core/router/route-away.ts";
import { routingFindings } from "../src/core/router/routing-findings.ts";
import { routeBenchmarks, type RoutedBenchmark } from "../src/core/router/routing-matrix.ts";

const timed = (f: () => unknown): number => {
  const started = performance.now();
  f();
  return performance.now() - started;
};

/** `n` adapters of `k` keywords each, none of them in the questions below (the worst case: all searched). */
const adapters = (n: number, k: number): RoutedAdapter[] =>
  Array.from({ length: n }, (_, a) => ({
    name: `adapter-${a}`,
    domain: `domain-${a}`,
    keywords: Array.from({ length: k }, (_, i) => `zq${a}x${i}w`),
  }));
const questions = (n: number): RoutedBenchmark => ({
  label: "adapters/big",
  domain: "math",
  adapter: "big",
  items: Array.from({ length: n }, (_, i) => ({
    id: `q${i}`,
    query: `Question ${i}: a train leaves the station at ${i % 60} past nine and travels 120 km; how many minutes until it arrives? Solve it step by step.`,
  })),
});

describe("the automaton finds what a search per keyword finds", () => {
  it("any keywords (nested, overlapping, repeated, empty) over any text, from a small alphabet", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c", "é"), maxLength: 5 }), { maxLength: 12 }),
        fc.string({ unit: fc.constantFrom("a", "b", "c", "é", " "), maxLength: 40 }),
        (keywords, text) => {
          const found = keywordAutomaton(keywords).find(text);
          const expected = keywords.flatMap((k, i) =>
            text.includes(k) && keywords.indexOf(k) === i ? [i] : [],
          );
          expect([...found].sort((a, b) => a - b)).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("routes as before: the most hits, a tie to the first name, no hit to the base", () => {
    const route = keywordRouter([
      { name: "b-math", domain: "math", keywords: ["solve", "how many", "sum"] },
      { name: "a-code", domain: "code", keywords: ["python", "sum"] },
    ]);
    expect(route("How many apples? Solve it")).toBe("b-math");
    expect(route("the SUM of a list")).toBe("a-code");
    expect(route("write Python to solve it")).toBe("a-code");
    expect(route("nothing here")).toBe("(base)");
  });
});

describe("routing costs the questions' length, not questions × keywords", () => {
  it("2,000 keywords route 20,000 questions in under 4× the time of 20 keywords (was ~100×)", () => {
    const benchmark = [questions(20_000)];
    const few = keywordRouter(adapters(2, 10));
    const many = keywordRouter(adapters(20, 100));
    routeBenchmarks(benchmark, few); // warm both
    routeBenchmarks(benchmark, many);
    const ratios = [0, 1, 2].map(() => {
      const base = timed(() => routeBenchmarks(benchmark, few));
      return timed(() => routeBenchmarks(benchmark, many)) / base;
    });
    expect(Math.min(...ratios)).toBeLessThan(4);
  });

  it("the app routes a large benchmark in a worker: its thread stays free, and the picks are the same", async () => {
    const benchmark = [questions(Math.ceil((2 * ROUTE_HERE_MAX_CHARS) / 140))];
    const routed = adapters(20, 100);
    routed[3]!.keywords = ["how many"];
    let longest = 0;
    let last = performance.now();
    const beat = setInterval(() => {
      longest = Math.max(longest, performance.now() - last);
      last = performance.now();
    }, 5);
    const started = performance.now();
    const away = await routeBenchmarksAway(benchmark, routed, true);
    const total = performance.now() - started;
    clearInterval(beat);
    const here = routeBenchmarks(benchmark, keywordRouter(routed));
    expect(away).toEqual(here);
    expect(here[0]!.counts).toEqual({ "adapter-3": benchmark[0]!.items.length });
    // The thread is held only to hand the questions over: a fraction of the routing's time.
    expect(longest).toBeLessThan(total / 2);
  });
});

describe("keywords that would take every domain's questions are errors (issue 35, item 12)", () => {
  const rules = { min_own_share: 0.5 };
  const at = { file: "adapters/a/adapter.yaml", line: 3 };
  const findingsFor = (keywords: string[]) => {
    const adapter = { name: "a", domain: "math", keywords };
    return routingFindings({ adapter, adapters: [adapter], rows: [], rules, at });
  };

  it.each([
    ["a one-letter keyword", "x", /the keyword "x" routes as "x": one character/],
    [
      "the Kelvin sign, which lower-cases to k",
      "\u212a",
      /the keyword "\u212a" routes as "k": one character/,
    ],
    ["a blank keyword", "  ", /the keyword " {2}" routes as nothing but blanks/],
  ])("%s", (_what, keyword, says) => {
    const found = findingsFor(["solve", keyword]);
    expect(found.map((f) => [f.rule, f.severity])).toEqual([["router-keyword-too-short", "error"]]);
    expect(found[0]!.message).toMatch(says);
  });

  it("keywords of two characters or more are not findings of their own", () => {
    expect(findingsFor(["solve", "pi", "k8s"])).toEqual([]);
  });
});

describe("the power note and the benchmark-size warning at extreme settings (issue 35, item 12)", () => {
  it.each([1e-17, 1e-300, Number.MIN_VALUE])("max_p_value %s: a finite detectable gain", (alpha) => {
    const gain = detectableGain({ items: 1000, sd: 0.5, alpha });
    expect(Number.isFinite(gain)).toBe(true);
    expect(gain).toBeGreaterThan(0);
    expect(gain).toBeLessThanOrEqual(1);
  });

  it("a planned gain far below what any benchmark detects: a bounded item count, never Infinity", () => {
    expect(itemsToDetect({ gain: 1e-300, alpha: 0.05 })).toBe(MAX_ITEMS_TO_DETECT);
    expect(itemsToDetect({ gain: 0.2, alpha: 1e-300 })).toBeLessThan(MAX_ITEMS_TO_DETECT);
    expect(itemsToDetect({ gain: 0.2, alpha: 0.05 })).toBe(59); // exact McNemar power: 59 items detect 20 points
  });
});
