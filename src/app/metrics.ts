import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { EVALUATE_WORKFLOW } from "../github/dispatch.ts";

/**
 * What an operator watches (Prometheus, at /metrics): one registry per process, as a process is what
 * a scrape sees.
 */
export const registry = new Registry();
// The process's own series (CPU, memory, heap, event-loop lag, handles), as every Node service shows them.
collectDefaultMetrics({ register: registry });

export const deliveries = new Counter({
  name: "loragate_deliveries_total",
  help: "Deliveries whose work ran, by event (name.action) and outcome (decided, nothing to do, failed, another replica's)",
  labelNames: ["event", "outcome"] as const,
  registers: [registry],
});

export const workSeconds = new Histogram({
  name: "loragate_work_seconds",
  help: "Time of a delivery's work after its answer, by step (review, report, merge, command, proposal)",
  labelNames: ["step"] as const,
  buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  registers: [registry],
});

export const queueDepth = new Gauge({
  name: "loragate_work_queue_depth",
  help: "Pieces of work queued or running in this process",
  registers: [registry],
});

export const githubRequests = new Counter({
  name: "loragate_github_requests_total",
  help: "GitHub API requests (each attempt), by method, route and status (timeout, network: no answer)",
  labelNames: ["method", "route", "status"] as const,
  registers: [registry],
});

export const evaluationsInFlight = new Gauge({
  name: "loragate_evaluations_in_flight",
  help: "GPU evaluations dispatched whose result is not reported yet, as GitHub's checks and runs say at each reconciler pass (a restart starts from them), moved by this process's dispatches and reports between passes",
  registers: [registry],
});

export const reconcilerActions = new Counter({
  name: "loragate_reconciler_actions_total",
  help: "Repairs the reconciler made, by action",
  labelNames: ["action"] as const,
  registers: [registry],
});

/** The words of the GitHub REST paths the app calls (its workflow file too); any other segment is a parameter. */
const ROUTE_WORDS = new Set(
  "repos app installations access_tokens pulls issues comments labels check-runs check-suites commits contents git ref refs trees blobs actions runs artifacts zip workflows dispatches collaborators permission files reviews users orgs branches statuses jobs logs rate_limit".split(
    " ",
  ),
).add(EVALUATE_WORKFLOW);

/**
 * A request URL as a route: host, query, ids and names left out, so a label takes values from a bounded
 * set (a commenter's login in /collaborators/{login}/permission was one series per login).
 */
export function routeOf(url: string): string {
  const path = new URL(url).pathname.replace(/^\/api\/v3/, "");
  return path
    .replace(/^\/repos\/[^/]+\/[^/]+/, "/repos/{owner}/{repo}")
    .replace(/(\/contents)\/.*/, "$1/{path}")
    .replace(/(\/git\/(?:ref|refs))\/.*/, "$1/{ref}")
    .split("/")
    .map((segment) =>
      segment === "" || segment.startsWith("{") || ROUTE_WORDS.has(segment)
        ? segment
        : /^[0-9a-f]{40}$/.test(segment)
          ? "{sha}"
          : /^\d+$/.test(segment)
            ? "{id}"
            : "{name}",
    )
    .join("/");
}
