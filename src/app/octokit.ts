import { ProbotOctokit } from "probot";

/** A GitHub request with no answer by then is aborted (and retried, as a 5xx is): a hung connection must not hold a PR's work for ever. */
const DEFAULT_TIMEOUT_MS = 30_000;

function timedFetch(inner: typeof fetch): typeof fetch {
  return (input, init) => {
    const ms = Number(process.env.LORAGATE_GITHUB_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS);
    const timeout = AbortSignal.timeout(ms);
    return inner(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
    });
  };
}

/**
 * Probot's client with two changes: a secondary rate limit (403 with retry-after) is waited out and
 * retried twice, where Probot's default only logs it and lets the request fail; and every request
 * has a timeout (LORAGATE_GITHUB_TIMEOUT_MS, 30 s by default).
 */
export const LoragateOctokit: typeof ProbotOctokit = ProbotOctokit.defaults(
  (options: { throttle?: object; request?: { fetch?: typeof fetch } }) => ({
    ...options,
    request: { ...options.request, fetch: timedFetch(options.request?.fetch ?? globalThis.fetch) },
    throttle: {
      ...options.throttle,
      onSecondaryRateLimit: (_retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < 2,
    },
  }),
);
