import type { IncomingMessage, ServerResponse } from "node:http";
import type { Probot } from "probot";
import { NO_BLIND_RETRY } from "../github/write-once.ts";
import { describeError } from "./logger.ts";
import { queueDepth, registry } from "./metrics.ts";
import type { WorkQueue } from "./work-queue.ts";

/** A piece of work older than this holds its PR's queue: the process is not doing its job. */
export const STUCK_AFTER_MS = 10 * 60_000;
/** GitHub is asked at most this often whether it answers (a readiness probe runs every few seconds). */
const GITHUB_CHECK_EVERY_MS = 30_000;

/**
 * The operator's endpoints, next to Probot's /ping:
 * - GET /healthz: the process answers (liveness),
 * - GET /readyz: GitHub answers the app's credentials and no work is stuck (readiness), 503 with why,
 * - GET /metrics: Prometheus metrics (see metrics.ts).
 */
export function operatorEndpoints(params: { app: Probot; queue: WorkQueue }) {
  let github: { at: number; problem?: string } | undefined;
  const githubProblem = async () => {
    if (!github || Date.now() - github.at > GITHUB_CHECK_EVERY_MS) {
      // one try: a probe wants to know now, and asks again soon
      const problem = await (await params.app.auth()).rest.apps.getAuthenticated(NO_BLIND_RETRY).then(
        () => undefined,
        (error: unknown) => `GitHub does not answer the app: ${describeError(error)}`,
      );
      github = { at: Date.now(), problem };
    }
    return github.problem;
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET") return false;
    const path = req.url?.split("?")[0];
    const text = (status: number, body: string, type = "text/plain; charset=utf-8") =>
      void res.writeHead(status, { "content-type": type }).end(body);
    if (path === "/healthz") text(200, "ok\n");
    else if (path === "/readyz") {
      const age = params.queue.oldestAgeMs();
      const problems = [
        await githubProblem(),
        age > STUCK_AFTER_MS ? `work has waited ${Math.round(age / 1000)} s (stuck)` : undefined,
      ].filter(Boolean);
      text(problems.length > 0 ? 503 : 200, problems.length > 0 ? `${problems.join("\n")}\n` : "ready\n");
    } else if (path === "/metrics") {
      queueDepth.set(params.queue.size);
      text(200, await registry.metrics(), registry.contentType);
    } else return false;
    return true;
  };
}
