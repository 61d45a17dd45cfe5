/**
 * Webhook work after the answer: GitHub gives a delivery 10 s, and one PR's validation plus Probot's
 * throttled writes (one a second) can take longer. Work for one key (a pull request) runs one at a
 * time, in arrival order; different keys run in parallel. State lives in GitHub (check runs with
 * external ids), so work that a shutdown cuts short is found again by the reconciler. Across
 * replicas, the shared store's lease (coordination.ts) is what keeps one worker per pull request.
 */
export class WorkQueue {
  private readonly tails = new Map<string, Promise<void>>();
  /** Each piece of work queued or running, with when it was queued. */
  private readonly running = new Map<Promise<void>, number>();
  /** Failures since the last idle(), for whoever waits on the work (at most 100 kept). */
  private failures: unknown[] = [];

  constructor(private readonly onError: (error: unknown, key: string) => void) {}

  enqueue(key: string, work: () => Promise<void>): void {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      if (this.failures.length < 100) this.failures.push(error);
      this.onError(error, key);
    });
    this.tails.set(key, next);
    this.running.set(next, Date.now());
    void next.finally(() => {
      this.running.delete(next);
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
  }

  /** Runs `work` in `key`'s order, like enqueue, and gives its result (or failure) to the caller. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.enqueue(key, () => work().then(resolve, reject)));
  }

  /** Whether work for `key` is queued or running. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** How long the oldest piece of work has been queued or running (0: none). */
  oldestAgeMs(): number {
    const oldest = Math.min(...this.running.values());
    return Number.isFinite(oldest) ? Date.now() - oldest : 0;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once everything enqueued so far has finished, with the failures since the last call. */
  async idle(): Promise<unknown[]> {
    while (this.running.size > 0) await Promise.all([...this.running.keys()]);
    const failures = this.failures;
    this.failures = [];
    return failures;
  }
}
