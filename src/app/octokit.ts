import { ProbotOctokit } from "probot";
import { GITHUB_RETRIES } from "../github/write-once.ts";
import { githubRequests, routeOf } from "./metrics.ts";

/** A GitHub request with no answer by then is aborted (and retried, as a 5xx is): a hung connection must not hold a PR's work for ever. */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * fetch with a deadline per attempt. The deadline is a timer of our own that holds its controller:
 * fetch keeps only a weak reference to the signal it is given, so a signal that nothing else holds
 * (`AbortSignal.any([caller's, AbortSignal.timeout()])` here before) is collected under load, with
 * several PRs at once, and the hung request is never aborted. The timer is cleared once the answer's body has been read (or the request failed).
 */
function timedFetch(inner: typeof fetch, log?: { warn: (message: string) => void }): typeof fetch {
  // Probot makes an installation's client from the app's, options and all: wrap once.
  if (TIMED in inner) return inner;
  const timed = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    // The replicas' shared write turn, taken here, last before the network, inside Probot's own
    // throttle and once per attempt. A store that is down does not stop writes (leases and claims
    // already keep work from running twice); each process's own throttle still paces them.
    if (writeTurn && isWrite({ method: init?.method, url: String(input) }))
      await writeTurn().catch(() => undefined);
    const ms = Number(process.env.LORAGATE_GITHUB_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    // The caller's signal is forwarded, not combined: AbortSignal.any's result is held weakly too.
    init?.signal?.addEventListener("abort", () => controller.abort(init.signal!.reason), { once: true });
    const call = { method: init?.method ?? "GET", route: routeOf(String(input)) };
    // Every attempt counted; one line for each that failed on GitHub's side or on the way (Octokit
    // retries them; a 4xx is an answer the caller handles).
    const count = (status: string) => {
      githubRequests.inc({ ...call, status });
      if (!/^(?:[1-3]\d\d|4(?:0[0-9]|1\d|2[0-8]))$/.test(status))
        log?.warn(`GitHub call failed: ${call.method} ${call.route}: ${status}`);
    };
    let response: Response;
    try {
      response = await inner(input, { ...init, signal: controller.signal });
    } catch (error) {
      clearTimeout(timer);
      count(controller.signal.aborted ? "timeout" : "network");
      // Not an AbortError: Octokit retries what it sees as a failed request, and never an abort.
      if (controller.signal.aborted) throw new Error(`GitHub did not answer within ${ms} ms`);
      throw error;
    }
    count(String(response.status));
    if (!response.body) {
      clearTimeout(timer);
      return response;
    }
    const body = response.body.pipeThrough(new TransformStream({ flush: () => clearTimeout(timer) }));
    const answer = new Response(body, response);
    Object.defineProperty(answer, "url", { value: response.url });
    return answer;
  };
  return Object.assign(retryingAfter(timed, log), { [TIMED]: true });
}

/** A 429 is waited out as its retry-after says, this many times at most... */
const RETRY_AFTER_TRIES = 3;
/** ...and for this long in all (past it the work fails, its check says so, and the reconciler comes back). */
const RETRY_AFTER_BOUND_S = 60;

/**
 * GitHub's 429 says how long to wait (retry-after); Octokit's throttle acts on it only when it names a
 * rate limit, and its retry waits its own 1, 4, 9 s. A 429 is a request GitHub did not carry out, so
 * sending it again is safe, even for a create.
 */
function retryingAfter(fetcher: typeof fetch, log?: { warn: (message: string) => void }): typeof fetch {
  return async (input, init) => {
    let waited = 0;
    for (let tries = 0; ; tries++) {
      const response = await fetcher(input, init);
      const after = Number(response.headers.get("retry-after"));
      if (
        response.status !== 429 ||
        !Number.isFinite(after) ||
        after < 0 ||
        tries >= RETRY_AFTER_TRIES ||
        waited + after > RETRY_AFTER_BOUND_S
      )
        return response;
      await response.body?.cancel();
      log?.warn(`GitHub asked to wait ${after} s (429): ${init?.method ?? "GET"} ${routeOf(String(input))}`);
      waited += after;
      await new Promise((resolve) => setTimeout(resolve, after * 1000));
    }
  };
}

const TIMED = Symbol("loragate timed fetch");

/** The replicas' one write throttle (see coordination.ts); none: Probot's own, per process. */
let writeTurn: (() => Promise<void>) | undefined;

/** Every write of every client waits for its turn on the replicas' shared throttle from now on. */
export function shareWrites(turn: () => Promise<void>): void {
  writeTurn = turn;
}

/** Bottleneck's group shape, as plugin-throttling uses it for writes: no wait of its own. */
const UNPACED = {
  key: () => ({ schedule: <T>(_options: unknown, job: () => Promise<T>) => job() }),
};

/** This process's own write pacing (LORAGATE_WRITE_INTERVAL_MS without replicas); none: Probot's second. */
let ownPace: typeof UNPACED | undefined;

/**
 * Without replicas, writes start `everyMs` apart, one at a time, in place of Probot's one a second
 * (Bottleneck's minTime, in the group shape plugin-throttling uses for writes).
 */
export function paceWrites(everyMs: number): void {
  let turn = Promise.resolve();
  const limiter = {
    schedule: <T>(_options: unknown, job: () => Promise<T>): Promise<T> => {
      const run = turn.then(job);
      const next = () => new Promise<void>((resolve) => setTimeout(resolve, everyMs));
      turn = run.then(next, next);
      return run;
    },
  };
  ownPace = { key: () => limiter };
}

/** A request that writes (what GitHub's advice paces at one a second), the app's token requests aside. */
const isWrite = (options: { method?: string; url?: string }) =>
  !["GET", "HEAD"].includes(options.method ?? "GET") && !/\/access_tokens$/.test(options.url ?? "");

/**
 * Probot's client with three changes: a secondary rate limit (403 with retry-after) is waited out and
 * retried twice, where Probot's default only logs it and lets the request fail; a failed request is
 * retried GITHUB_RETRIES times; and every request has a timeout (LORAGATE_GITHUB_TIMEOUT_MS, 30 s by
 * default).
 */
export const LoragateOctokit: typeof ProbotOctokit = ProbotOctokit.defaults(
  (options: {
    throttle?: object;
    retry?: object;
    request?: { fetch?: typeof fetch };
    log?: { warn: (message: string) => void };
  }) => ({
    ...options,
    request: {
      ...options.request,
      fetch: timedFetch(options.request?.fetch ?? globalThis.fetch, options.log),
    },
    // A 409 (a conflict: the branch moved) is answered by re-reading, never by sending the same again:
    // retried blindly, a registry update heard of its conflicts minutes late. A 429 is retried by its
    // retry-after (above), or by Octokit's throttle when it is a rate limit.
    retry: {
      retries: GITHUB_RETRIES,
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
      ...options.retry,
    },
    throttle: {
      ...options.throttle,
      // With the replicas' shared turn (taken in the fetch), Probot's per-process write pacing would
      // only add its own second on top.
      ...(writeTurn ? { write: UNPACED } : ownPace ? { write: ownPace } : {}),
      onSecondaryRateLimit: (_retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < 2,
    },
  }),
);
