import { correlationId } from "../core/review/correlation.ts";
import { completeCheck, listOwnChecks } from "../github/check-runs.ts";
import { activeEvaluationRuns, cancelRun } from "../github/workflow-runs.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { EVALUATE_CHECK } from "./request-evaluation.ts";

/**
 * A new push supersedes the previous head's evaluation: its queued or running `loragate/evaluate` is
 * completed as cancelled, and its workflow run (found by the correlation id in the run-name) is
 * cancelled. Results that still arrive for it are ignored as stale by reportEvaluation.
 */
export async function supersedeEvaluation(params: {
  github: GitHub;
  repo: RepoRef;
  pullNumber: number;
  previousSha: string;
  newSha: string;
}): Promise<number> {
  const { github, repo } = params;
  const old = correlationId(params.pullNumber, params.previousSha);
  const checks = await listOwnChecks({ github, repo, ref: params.previousSha, name: EVALUATE_CHECK });
  let cancelled = 0;
  for (const run of checks.filter((r) => r.status !== "completed")) {
    await completeCheck({
      github,
      repo,
      checkRunId: run.id,
      conclusion: "cancelled",
      output: {
        title: "Superseded by a newer push",
        summary: `Commit ${params.newSha} replaced ${params.previousSha}; it is evaluated instead.`,
        findings: [],
      },
    });
    cancelled++;
  }
  for (const run of await activeEvaluationRuns({ github, repo, correlation: old })) {
    await cancelRun(github, repo, run.id);
    cancelled++;
  }
  return cancelled;
}
