import type { Probot } from "probot";
import { correlationId } from "../core/review/correlation.ts";
import { appInstallationIds, installationRepositories } from "../github/access.ts";
import { completeCheck, listOwnChecks } from "../github/check-runs.ts";
import { openPullRequests } from "../github/pulls.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { activeEvaluationRuns } from "../github/workflow-runs.ts";
import { EVALUATE_CHECK, RETRAIN_ACTION } from "./request-evaluation.ts";
import { reviewHead } from "./review-head.ts";
import { VALIDATE_CHECK } from "./validate-pull-request.ts";

/** Validation takes seconds: one still open after this long was abandoned (the app restarted mid-way). */
export const ABANDONED_AFTER_MS = 10 * 60_000;
/** A GPU run waits for a runner, then runs for at most 2 h (the workflow's timeout): a day is lost. */
export const EVALUATION_DEADLINE_MS = 24 * 3_600_000;

/**
 * Missed deliveries heal here: every open PR whose head commit has no `loragate/validate` check, or
 * only one abandoned in progress, is reviewed as if its webhook had just arrived; an evaluation whose
 * run was lost is ended. Safe to run any time: a reviewed head is skipped, and one being reviewed
 * right now (by any replica) too.
 */
export async function reconcileRepository(params: {
  github: GitHub;
  repo: RepoRef;
  defaultBranch: string;
}): Promise<number[]> {
  const { github, repo } = params;
  const open = await openPullRequests(github, repo);
  const reviewed: number[] = [];
  for (const pr of open) {
    const validations = await listOwnChecks({ github, repo, ref: pr.head.sha, name: VALIDATE_CHECK });
    const settled = validations.some(
      (run) =>
        run.status === "completed" || Date.now() - Date.parse(run.started_at ?? "") < ABANDONED_AFTER_MS,
    );
    if (settled) {
      await endLostEvaluations({ github, repo, headSha: pr.head.sha, pullNumber: pr.number });
      continue;
    }
    await reviewHead({
      github,
      repo,
      pr: { ...pr, author_association: pr.author_association },
      defaultBranch: params.defaultBranch,
    });
    reviewed.push(pr.number);
  }
  return reviewed;
}

/**
 * An evaluation waits for its run's result; when none came within EVALUATION_DEADLINE_MS and no run
 * for that commit is queued or running, the run was lost: end the check, saying so, with Retrain.
 */
async function endLostEvaluations(params: {
  github: GitHub;
  repo: RepoRef;
  headSha: string;
  pullNumber: number;
}): Promise<void> {
  const { github, repo } = params;
  const waiting = (await listOwnChecks({ github, repo, ref: params.headSha, name: EVALUATE_CHECK })).filter(
    (run) =>
      (run.status === "queued" || run.status === "in_progress") &&
      Date.now() - Date.parse(run.started_at ?? "") > EVALUATION_DEADLINE_MS,
  );
  if (waiting.length === 0) return;
  const correlation = correlationId(params.pullNumber, params.headSha);
  if ((await activeEvaluationRuns({ github, repo, correlation })).length > 0) return;
  for (const run of waiting)
    await completeCheck({
      github,
      repo,
      checkRunId: run.id,
      conclusion: "failure",
      output: {
        title: "No evaluation result arrived",
        summary: `No result came for ${params.headSha} within ${EVALUATION_DEADLINE_MS / 3_600_000} hours and no run for it is queued or running: the run was lost (or no GPU runner took it). Comment \`/loragate retrain\` (or press Retrain) to run it again.`,
        findings: [],
      },
      actions: [RETRAIN_ACTION],
    });
}

/** Every `everyMs`, reconciles every repository of every installation (LORAGATE_RECONCILE_MINUTES). */
export function scheduleReconciler(app: Probot, everyMs: number): void {
  const tick = async () => {
    for (const installation of await appInstallationIds(await app.auth())) {
      const github = await app.auth(installation);
      for (const { repo, defaultBranch } of await installationRepositories(github))
        await reconcileRepository({ github, repo, defaultBranch });
    }
  };
  const run = () => tick().catch((error) => app.log.error(error, "reconciler"));
  setTimeout(run, 0).unref(); // at start too: a restart may have left work open
  setInterval(run, everyMs).unref();
}
