import { startWorker, watchWorker } from "../dataset/workers.ts";
import { BASE_MODEL, keywordRouter, type RoutedAdapter } from "./keyword-router.ts";
import { type RoutedBenchmark, routeBenchmarks, type RoutingRow } from "./routing-matrix.ts";

/**
 * Above this many characters of questions, routing for the app runs in a worker thread: the automaton
 * reads ~50 M characters a second (this VM), so the app's thread, which answers every other delivery,
 * is never held for more than ~0.1 s; a worker costs ~0.2 s to start, so smaller work stays here.
 */
export const ROUTE_HERE_MAX_CHARS = 4 << 20;

export interface RouteJob {
  adapters: RoutedAdapter[];
  queries: string[][];
}

/** Each query's target as an index into `[...adapter names, BASE_MODEL]`. */
export type RouteAnswer = { picks: Uint32Array[] } | { failed: string };

export const routeTargets = (adapters: readonly RoutedAdapter[]) => [
  ...adapters.map((a) => a.name),
  BASE_MODEL,
];

/**
 * `routeBenchmarks` with the keyword router over `adapters`; with `offThread` (the app) and more than
 * ROUTE_HERE_MAX_CHARS of questions, in a worker thread.
 */
export async function routeBenchmarksAway(
  benchmarks: readonly RoutedBenchmark[],
  adapters: readonly RoutedAdapter[],
  offThread = false,
): Promise<RoutingRow[]> {
  const chars = benchmarks.reduce((n, b) => n + b.items.reduce((m, i) => m + i.query.length, 0), 0);
  if (!offThread || chars <= ROUTE_HERE_MAX_CHARS)
    return routeBenchmarks(benchmarks, keywordRouter(adapters));
  const job: RouteJob = {
    adapters: [...adapters],
    queries: benchmarks.map((b) => b.items.map((i) => i.query)),
  };
  const worker = startWorker(import.meta.url, "route-worker", job);
  let settled = false;
  try {
    const answer = await new Promise<RouteAnswer>((resolve, reject) => {
      watchWorker(worker, () => settled, reject);
      worker.once("message", (message: RouteAnswer) => {
        settled = true;
        resolve(message);
      });
    });
    if ("failed" in answer) throw new Error(`routing failed in its worker: ${answer.failed}`);
    const targets = routeTargets(adapters);
    return benchmarks.map((benchmark, b) => {
      const picks = Array.from(answer.picks[b]!, (i) => targets[i]!);
      const counts: Record<string, number> = {};
      for (const pick of picks) counts[pick] = (counts[pick] ?? 0) + 1;
      return { benchmark, picks, counts };
    });
  } finally {
    await worker.terminate();
  }
}
