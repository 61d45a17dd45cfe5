import { EVALUATE_WORKFLOW } from "./dispatch.ts";
import type { GitHub, RepoRef } from "./types.ts";

/** Runs of the evaluate workflow still queued or running for a correlation id (from their run-name). */
export async function activeEvaluationRuns(params: {
  github: GitHub;
  repo: RepoRef;
  correlation: string;
}): Promise<{ id: number }[]> {
  const runs: { id: number }[] = [];
  for (const status of ["queued", "in_progress"] as const) {
    const { data } = await params.github.rest.actions.listWorkflowRuns({
      ...params.repo,
      workflow_id: EVALUATE_WORKFLOW,
      status,
      per_page: 100,
    });
    runs.push(
      ...data.workflow_runs.filter((r) => (r.display_title ?? "").split(" ").includes(params.correlation)),
    );
  }
  return runs;
}

export async function cancelRun(github: GitHub, repo: RepoRef, runId: number): Promise<void> {
  await github.rest.actions.cancelWorkflowRun({ ...repo, run_id: runId });
}
