import { ProbotOctokit } from "probot";

/**
 * Probot's client with one change: a secondary rate limit (403 with retry-after) is waited out and
 * retried twice, where Probot's default only logs it and lets the request fail.
 */
export const LoragateOctokit: typeof ProbotOctokit = ProbotOctokit.defaults(
  (options: { throttle?: object }) => ({
    ...options,
    throttle: {
      ...options.throttle,
      onSecondaryRateLimit: (_retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < 2,
    },
  }),
);
