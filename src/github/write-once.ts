/**
 * Retries of a failed GitHub call, waited 1, 4, 9, 16 and 25 s apart (Probot's 3 give up after 14 s):
 * an outage of a quarter minute is ridden out; only a lasting one fails the work.
 */
export const GITHUB_RETRIES = 5;

/** Request options that turn Octokit's own retry off for one call (createOnce retries instead). */
export const NO_BLIND_RETRY = { request: { retries: 0 } } as const;

/** A failure after which GitHub may have acted: a 5xx, a reset, a timeout (not a 4xx refusal). */
const mayHaveActed = (error: unknown) => {
  const status = (error as { status?: unknown }).status;
  return typeof status !== "number" || status >= 500;
};

/**
 * A create that GitHub may carry out and still lose the answer of (a check run, a comment, a
 * dispatch). Octokit would retry it blindly and create it twice; here, after a failure that may have
 * reached GitHub, `find` looks for what the try left, and only when nothing is there is it tried
 * again. `create` must pass NO_BLIND_RETRY to its request.
 */
export async function createOnce<T>(params: {
  create: () => Promise<T>;
  find: () => Promise<T | undefined>;
}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await params.create();
    } catch (error) {
      if (!mayHaveActed(error) || attempt > GITHUB_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt ** 2 * 1000));
      const found = await params.find();
      if (found !== undefined) return found;
    }
  }
}
