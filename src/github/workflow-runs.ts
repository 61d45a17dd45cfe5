import { evaluationRuns } from "./dispatch.ts";
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
