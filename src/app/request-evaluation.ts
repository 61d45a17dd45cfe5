import type { GpuConfigSchema } from "../core/schemas/config.ts";
import type { z } from "zod";
import { completeCheck, requeueCheck, startCheck } from "../github/check-runs.ts";
import { correlationId } from "../core/review/correlation.ts";
import { dispatchEvaluation, EVALUATE_WORKFLOW, evaluationRuns } from "../github/dispatch.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { evaluationsInFlight } from "./metrics.ts";

export const EVALUATE_CHECK = "loragate/evaluate";
/** The button on a failed evaluation; check_run.requested_action runs it as `/loragate retrain`. */
export const RETRAIN_ACTION = {
  label: "Retrain",
  description: "Train and evaluate this commit again",
  identifier: "retrain",
};

export interface RequestEvaluationParams {
  github: GitHub;
  repo: RepoRef;
  defaultBranch: string;
  pullNumber: number;
  headSha: string;
  adapter: string;
  authorAssociation: string;
  gpu: z.infer<typeof GpuConfigSchema>;
  /** A maintainer's `/loragate approve` for this head sha. */
  approved?: boolean;
  /** `/loragate retrain` or `evaluate`: run again even when this commit was evaluated. */
  again?: boolean;
}

/**
 * After a passing validation:
 * 1. open `loragate/evaluate` on the head commit (one per correlation id; a replay changes nothing),
 * 2. if the author is trusted (config gpu.trusted) or a maintainer approved this sha, dispatch the
 *    train + evaluate workflow and leave the check queued; otherwise ask for `/loragate approve`.
 */
export async function requestEvaluation(
  params: RequestEvaluationParams,
): Promise<"dispatched" | "needs-approval" | "replay" | "dispatch-failed"> {
  const { github, repo, headSha } = params;
  const id = correlationId(params.pullNumber, headSha);
  const check = await startCheck({
    github,
    repo,
    name: EVALUATE_CHECK,
    headSha,
    externalId: `evaluate:${id}`,
    status: "queued",
  });
  const trusted =
    params.approved === true || (params.gpu.trusted as string[]).includes(params.authorAssociation);
  if (check.done) {
    // Done before: run again only on /loragate retrain|evaluate, or on approval of a waiting commit.
    const waiting = check.conclusion === "action_required";
    if (!(params.again || (waiting && trusted))) return "replay";
    const title = params.again ? "Queued again" : "Approved: queued for the GPU runners";
    await requeueCheck({ github, repo, checkRunId: check.id, title });
  } else if (
    !check.created &&
    !params.again &&
    (await evaluationRuns({ github, repo, correlation: id })).length > 0
  )
    return "replay"; // queued by an earlier delivery, which dispatched it

  if (!trusted) {
    await completeCheck({
      github,
      repo,
      checkRunId: check.id,
      conclusion: "action_required",
      output: {
        title: "Waiting for a maintainer to approve GPU time",
        summary: `Validation passed. Training and evaluation run on the registry's GPU runners, which first-time and outside contributors reach after a maintainer's review: a maintainer comments \`/loragate approve\` on this pull request (it approves commit ${headSha} only).`,
        findings: [],
      },
    });
    return "needs-approval";
  }
  try {
    await dispatchEvaluation({
      github,
      repo,
      defaultBranch: params.defaultBranch,
      inputs: { pr: params.pullNumber, head_sha: headSha, adapter: params.adapter, correlation_id: id },
    });
  } catch (error) {
    // Left queued, the check would wait for a run that never comes: end it, saying why and what to fix.
    await completeCheck({
      github,
      repo,
      checkRunId: check.id,
      conclusion: "failure",
      output: {
        title: "The evaluation could not be started",
        summary: dispatchFailure(error, params.defaultBranch),
        findings: [],
      },
      actions: [RETRAIN_ACTION],
    });
    return "dispatch-failed";
  }
  evaluationsInFlight.inc();
  return "dispatched";
}

function dispatchFailure(error: unknown, branch: string): string {
  const status = (error as { status?: number }).status;
  const where = `\`.github/workflows/${EVALUATE_WORKFLOW}\` on \`${branch}\``;
  const why =
    status === 404
      ? `GitHub answered 404: ${where} does not exist, or the app cannot see it (it needs the Actions: write permission).`
      : status === 422
        ? `GitHub answered 422: ${where} has no \`workflow_dispatch\` trigger with the inputs pr, head_sha, adapter and correlation_id (see templates/workflows/loragate.yml).`
        : `GitHub refused the dispatch of ${where}${status ? ` (${status})` : ""}: ${(error as Error).message}`;
  return `${why}\n\nOnce it is fixed, comment \`/loragate retrain\` (or press Retrain) to start it.`;
}
