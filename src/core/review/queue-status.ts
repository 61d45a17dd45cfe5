/**
 * Where a contributor's evaluation stands, from GitHub's own queue (the evaluate workflow's runs):
 * its place among the queued evaluations, the runners busy with evaluations, and when it should start,
 * estimated from how long recent runs took. The text changes only when one of those does (the start
 * is a clock time rounded to 5 minutes, not a countdown), so it is written only when there is news.
 */

export interface QueuedRun {
  id: number;
  correlation: string;
  status: "queued" | "in_progress";
  /** ms since the epoch. */
  createdAt: number;
  startedAt?: number;
}

export interface QueueSnapshot {
  /** The evaluate workflow's runs still queued or running, any pull request. */
  runs: readonly QueuedRun[];
  /** How long recent completed runs took, ms (newest first); empty when there were none. */
  recentDurations: readonly number[];
}

const FIVE_MINUTES = 5 * 60_000;

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const minutes = (ms: number) => `${Math.max(1, Math.round(ms / 60_000))} min`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The check run's title and summary for the evaluation `correlation`; none when it has no run waiting or running. */
export function queueStatus(params: {
  snapshot: QueueSnapshot;
  correlation: string;
  now: number;
}): { title: string; summary: string } | undefined {
  const { snapshot, correlation, now } = params;
  const mine = snapshot.runs.filter((r) => r.correlation === correlation);
  const running = snapshot.runs.filter((r) => r.status === "in_progress");
  const queued = snapshot.runs
    .filter((r) => r.status === "queued")
    .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  const busy = `${plural(running.length, "runner")} busy with evaluations`;
  const typical = snapshot.recentDurations.length ? median(snapshot.recentDurations) : undefined;
  const basis = typical
    ? `recent evaluations took ${minutes(typical)} (median of the last ${snapshot.recentDurations.length})`
    : "no finished evaluation yet to estimate from";

  const runningMine = mine.find((r) => r.status === "in_progress");
  if (runningMine) {
    const since = runningMine.startedAt ?? runningMine.createdAt;
    const end = typical ? roundUp(since + typical) : undefined;
    return {
      title: "Running on a GPU runner",
      summary: [
        `Training and evaluation started at ${clock(since)} UTC${end ? `; expected to finish about ${clock(end)} UTC` : ""}.`,
        `Queue: ${plural(queued.length, "evaluation")} waiting, ${busy}; ${basis}.`,
      ].join("\n\n"),
    };
  }
  const waiting = mine.find((r) => r.status === "queued");
  if (!waiting) return undefined;
  const position = queued.indexOf(waiting) + 1;
  return {
    title: `Queued: ${ordinal(position)} of ${queued.length} waiting for a GPU runner`,
    summary: [
      `Position ${position} of ${queued.length} among queued evaluations; ${busy}.`,
      expectedStart({ running, ahead: position - 1, typical, now }) + ` (${basis}).`,
      "From GitHub's queue of the evaluate workflow; updated when it moves.",
    ].join("\n\n"),
  };
}

/**
 * When the evaluation should start: runners are assumed as many as are busy (at least one), each
 * running run ends `typical` after its start, and each queued run ahead takes the first runner free.
 */
function expectedStart(params: {
  running: readonly QueuedRun[];
  ahead: number;
  typical: number | undefined;
  now: number;
}): string {
  const { running, ahead, typical, now } = params;
  if (running.length === 0)
    return ahead === 0
      ? "Expected to start when a runner picks it up: none is busy with an evaluation (the autoscaler starts one, if the registry has one)"
      : `Expected to start after the ${plural(ahead, "evaluation")} ahead, when runners pick them up: none is busy now`;
  if (!typical) return "Expected start: not estimated yet";
  const free = running
    .map((r) => Math.max(now, (r.startedAt ?? r.createdAt) + typical))
    .sort((a, b) => a - b);
  for (let i = 0; i < ahead; i++) {
    const next = free.shift()!;
    free.push(next + typical);
    free.sort((a, b) => a - b);
  }
  return `Expected to start about ${clock(roundUp(free[0]!))} UTC`;
}

const roundUp = (ms: number) => Math.ceil(ms / FIVE_MINUTES) * FIVE_MINUTES;

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}
