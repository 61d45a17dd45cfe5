// Routes the questions of route-away.ts's job in a worker thread and posts each one's target back.
import { parentPort, workerData } from "node:worker_threads";
import { keywordRouter } from "./keyword-router.ts";
import { type RouteAnswer, type RouteJob, routeTargets } from "./route-away.ts";

const job = workerData as RouteJob;
let answer: RouteAnswer;
try {
  const route = keywordRouter(job.adapters);
  const index = new Map(routeTargets(job.adapters).map((t, i) => [t, i]));
  answer = { picks: job.queries.map((queries) => Uint32Array.from(queries, (q) => index.get(route(q))!)) };
} catch (error) {
  answer = { failed: (error as Error).message };
}
parentPort!.postMessage(answer, "picks" in answer ? answer.picks.map((p) => p.buffer as ArrayBuffer) : []);
