/**
 * Routing (issue 35 item 2): an 800,000-item own benchmark (~90 characters a question) through the
 * keyword router with 100 keywords and with 20 adapters × 100 keywords, against the anchor of lower-casing
 * every question (what any router does first); and, routed as the app routes, the longest time its
 * thread was held.
 */
import { keywordRouter, type RoutedAdapter } from "../src/core/router/keyword-router.ts";
import { routeBenchmarksAway } from "../src/core/router/route-away.ts";
import { routeBenchmarks, type RoutedBenchmark } from "../src/core/router/routing-matrix.ts";

const ITEMS = 800_000;

const adapters = (n: number, k: number): RoutedAdapter[] =>
  Array.from({ length: n }, (_, a) => ({
    name: `adapter-${a}`,
    domain: `domain-${a}`,
    keywords: Array.from({ length: k }, (_, i) => `zq${a}x${i}w`),
  }));

const timed = async (f: () => unknown): Promise<number> => {
  const started = performance.now();
  await f();
  return (performance.now() - started) / 1000;
};

export async function benchRouting(): Promise<Record<string, unknown>> {
  const benchmark: RoutedBenchmark[] = [
    {
      label: "adapters/big",
      domain: "math",
      adapter: "big",
      items: Array.from({ length: ITEMS }, (_, i) => ({
        id: `q${i}`,
        query: `Question ${i}: a train leaves at ${i % 60} past nine and travels 120 km; how many minutes until it arrives?`,
      })),
    },
  ];
  const chars = benchmark[0]!.items.reduce((n, i) => n + i.query.length, 0);
  const anchor = await timed(() => benchmark[0]!.items.forEach((i) => i.query.toLowerCase()));
  const k100 = await timed(() => routeBenchmarks(benchmark, keywordRouter(adapters(1, 100))));
  const k2000 = await timed(() => routeBenchmarks(benchmark, keywordRouter(adapters(20, 100))));
  let longest = 0;
  let last = performance.now();
  const beat = setInterval(() => {
    longest = Math.max(longest, performance.now() - last);
    last = performance.now();
  }, 5);
  const away = await timed(() => routeBenchmarksAway(benchmark, adapters(20, 100), true));
  clearInterval(beat);
  return {
    items: ITEMS,
    characters: chars,
    anchorLowerCaseSeconds: anchor,
    keywords100Seconds: k100,
    keywords2000Seconds: k2000,
    keywords100VsAnchor: k100 / anchor,
    keywords2000VsAnchor: k2000 / anchor,
    keywords2000VsKeywords100: k2000 / k100,
    appRoutingSeconds: away,
    appThreadLongestHeldSeconds: longest / 1000,
  };
}
