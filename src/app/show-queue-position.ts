import { parseCorrelation } from "../core/review/correlation.ts";
import { queueStatus } from "../core/review/queue-status.ts";
import { listOwnChecks } from "../github/check-runs.ts";
import { openPullRequests } from "../github/pulls.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { evaluationQueue } from "../github/workflow-runs.ts";
import { EVALUATE_CHECK } from "./request-evaluation.ts";

/**
 * Tells each waiting contributor where their evaluation stands, on its `loragate/evaluate` check:
 * 1. read GitHub's queue of the evaluate workflow once (three reads for the whole repository),
 * 2. for each run queued or running, find its pull request's check (still open, same commit),
 * 3. write the check's summary only when its text changed.
 * Runs on the workflow's own events (a run requested, started or finished moves the queue) and on the
 * reconciler's ticks; it never writes more often than the queue changes. Returns the checks it updated.
 */
export async function showQueuePosition(params: {
  github: GitHub;
  repo: RepoRef;
  now?: number;
  /** The open pull requests, when the caller has them (the reconciler does). */
  pulls?: readonly { number: number; head: { sha: string } }[];
}): Promise<number> {
  const { github, repo } = params;
  const snapshot = await evaluationQueue(github, repo);
  if (snapshot.runs.length === 0) return 0;
  const pulls = params.pulls ?? (await openPullRequests(github, repo));
  let written = 0;
  for (const correlation of new Set(snapshot.runs.map((r) => r.correlation))) {
    const { pr, shaPrefix } = parseCorrelation(correlation)!;
    const head = pulls.find((p) => p.number === pr)?.head.sha;
    if (!head?.startsWith(shaPrefix)) continue; // closed, or pushed since: that run is superseded
    const [check] = await listOwnChecks({ github, repo, ref: head, name: EVALUATE_CHECK });
    if (!check || check.status === "completed" || check.external_id !== `evaluate:${correlation}`) continue;
    const status = queueStatus({ snapshot, correlation, now: params.now ?? Date.now() });
    if (!status || (check.output.title === status.title && check.output.summary === status.summary)) continue;
    await github.rest.checks.update({ ...repo, check_run_id: check.id, output: status });
    written++;
  }
  return written;
}
