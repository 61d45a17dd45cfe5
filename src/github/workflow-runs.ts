import { parseCorrelation } from "../core/review/correlation.ts";
import type { QueuedRun, QueueSnapshot } from "../core/review/queue-status.ts";
import { EVALUATE_WORKFLOW, evaluationRuns } from "./dispatch.ts";
import type { GitHub, RepoRef } from "./types.ts";

/** Runs of the evaluate workflow still queued or running for a correlation id (from their run-name). */
export async function activeEvaluationRuns(params: {
  github: GitHub;
  repo: RepoRef;
  correlation: string;
}): Promise<{ id: number }[]> {
  const runs: { id: number }[] = [];
  for (const status of ["queued", "in_progress"] as const)
    runs.push(...(await evaluationRuns({ ...params, status })));
  return runs;
}

export async function cancelRun(github: GitHub, repo: RepoRef, runId: number): Promise<void> {
  await github.rest.actions.cancelWorkflowRun({ ...repo, run_id: runId });
}

/**
 * GitHub's queue of the evaluate workflow: its runs queued or running (any pull request), and how long
 * the last successful ones took. Three reads, whatever the number of pull requests.
 */
export async function evaluationQueue(github: GitHub, repo: RepoRef): Promise<QueueSnapshot> {
  const list = async (status: "queued" | "in_progress" | "success", perPage: number) =>
    (
      await github.rest.actions.listWorkflowRuns({
        ...repo,
        workflow_id: EVALUATE_WORKFLOW,
        status,
        per_page: perPage,
      })
    ).data.workflow_runs;
  const runs: QueuedRun[] = [];
  for (const status of ["queued", "in_progress"] as const)
    for (const run of await list(status, 100)) {
      const correlation = parseCorrelation(run.display_title)?.id;
      if (!correlation) continue;
      runs.push({
        id: run.id,
        correlation,
        status,
        createdAt: Date.parse(run.created_at),
        ...(run.run_started_at ? { startedAt: Date.parse(run.run_started_at) } : {}),
      });
    }
  if (runs.length === 0) return { runs, recentDurations: [] }; // nothing waits: no estimate to make
  const recentDurations = (await list("success", 20))
    .map((run) => Date.parse(run.updated_at) - Date.parse(run.run_started_at ?? run.created_at))
    .filter((ms) => Number.isFinite(ms) && ms > 0);
  return { runs, recentDurations };
}
