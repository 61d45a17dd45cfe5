import type { IncomingMessage, ServerResponse } from "node:http";
import type { Probot } from "probot";
import { NO_BLIND_RETRY } from "../github/write-once.ts";
import type { Coordination } from "./coordination.ts";
import { describeError } from "./logger.ts";
import { queueDepth, registry } from "./metrics.ts";
import type { WorkQueue } from "./work-queue.ts";

/** A piece of work older than this holds its PR's queue: the process is not doing its job. */
export const STUCK_AFTER_MS = 10 * 60_000;
/** How often readiness is found out, in the background: a probe reads the last answer, never asks GitHub. */
export const READINESS_EVERY_MS = 5_000;
/** A readiness question to GitHub unanswered this long is an answer of its own: not ready. */
const SILENT_AFTER_MS = 5_000;

/**
 * The operator's endpoints, next to Probot's /ping:
 * - GET /healthz: the process answers (liveness),
 * - GET /readyz: GitHub answered the app's credentials lately, the replicas' store answers (when there
 *   is one) and no work is stuck (readiness), 503 with why; answered at once from the state a
 *   background loop keeps (one GitHub call each READINESS_EVERY_MS, whatever the probes),
 * - GET /metrics: Prometheus metrics (see metrics.ts).
 */
export function operatorEndpoints(params: { app: Probot; queue: WorkQueue; coordination: Coordination }) {
  let github: string | undefined = "GitHub has not been asked yet (the app has just started)";
  let store: string | undefined;
  let askedAt: number | undefined;
  const refresh = async () => {
    askedAt = Date.now();
    const asked = params.app
      .auth()
      .then((octokit) => octokit.rest.apps.getAuthenticated(NO_BLIND_RETRY))
      .then(
        () => undefined,
        (error: unknown) => `GitHub does not answer the app: ${describeError(error)}`,
      );
    // A hung question is left to its own timeout; the next one is asked on time, so readiness
    // follows GitHub's return within READINESS_EVERY_MS + SILENT_AFTER_MS.
    const silent = new Promise<string>((resolve) =>
      setTimeout(
        resolve,
        SILENT_AFTER_MS,
        `GitHub has not answered the app within ${SILENT_AFTER_MS / 1000} s`,
      ).unref(),
    );
    github = await Promise.race([asked, silent]);
    askedAt = undefined;
    store = await params.coordination.problem();
  };
  const loop = () => void refresh().finally(() => setTimeout(loop, READINESS_EVERY_MS).unref());
  loop();
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET") return false;
    const path = req.url?.split("?")[0];
    const text = (status: number, body: string, type = "text/plain; charset=utf-8") =>
      void res.writeHead(status, { "content-type": type }).end(body);
    if (path === "/healthz") text(200, "ok\n");
    else if (path === "/readyz") {
      const age = params.queue.oldestAgeMs();
      const silent = askedAt !== undefined ? Date.now() - askedAt : 0;
      const problems = [
        silent > SILENT_AFTER_MS
          ? `GitHub has not answered the app for ${Math.round(silent / 1000)} s`
          : github,
        store,
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
