import type { Probot } from "probot";
import { correlationId } from "../core/review/correlation.ts";
import { appInstallationIds, installationRepositories } from "../github/access.ts";
import { completeCheck, listOwnChecks } from "../github/check-runs.ts";
import { evaluationRuns } from "../github/dispatch.ts";
import { openPullRequests, recentlyMergedPullRequests } from "../github/pulls.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { describeError } from "./logger.ts";
import { reconcilerActions } from "./metrics.ts";
import { recordMerge } from "./record-merge.ts";
import { reportEvaluation } from "./report-evaluation.ts";
import { EVALUATE_CHECK, RETRAIN_ACTION } from "./request-evaluation.ts";
import { reviewHead } from "./review-head.ts";
import { showQueuePosition } from "./show-queue-position.ts";
import { VALIDATE_CHECK } from "./validate-pull-request.ts";

/** Validation takes seconds: one still open after this long was abandoned (by another replica, too). */
export const ABANDONED_AFTER_MS = 10 * 60_000;
/** A GPU run waits for a runner, then runs for at most 2 h (the workflow's timeout): a day is lost. */
export const EVALUATION_DEADLINE_MS = 24 * 3_600_000;
/** When the reconciler runs when LORAGATE_RECONCILE_MINUTES does not say: at start, then this often. */
export const DEFAULT_RECONCILE_MINUTES = 15;

export interface ReconcileParams {
  github: GitHub;
  repo: RepoRef;
  defaultBranch: string;
  /** When this process started: work left in progress before then belongs to a process that is gone. */
  startedAt: number;
  /** Whether this process is working on a PR right now (its work is not orphaned). */
  busy?: (pullNumber: number) => boolean;
}

/**
 * Desired state against what GitHub holds, for every open PR and every recent merge; returns what it
 * did, one line each (the log says them). Safe to run any time and from any replica: each repair is
 * the step a delivery would have run, and each step looks before it writes.
 * 1. no `loragate/validate` on the head (a missed delivery), or one left in progress by a process that
 *    is gone (started before this one) or abandoned: review the head again,
 * 2. validated, but no `loragate/evaluate` (killed before it), or one queued with no run for the
 *    commit (killed before the dispatch): ask for the evaluation again (nothing twice),
 * 3. a run of the commit finished but its result was not reported (killed while reporting): report it,
 * 4. a run lost for a day: end the check, with Retrain,
 * 5. a merged PR whose registry entry was not written (killed while merging): write it.
 */
export async function reconcileRepository(params: ReconcileParams): Promise<string[]> {
  const { github, repo } = params;
  const did: string[] = [];
  const act = (action: string, line: string) => {
    reconcilerActions.inc({ action });
    did.push(line);
  };
  for (const pr of await openPullRequests(github, repo)) {
    if (params.busy?.(pr.number)) continue;
    const at = `#${pr.number} ${pr.head.sha.slice(0, 7)}`;
    const review = async (action: string, why: string) => {
      const { decided } = await reviewHead({ github, repo, pr, defaultBranch: params.defaultBranch });
      act(action, `${at}: ${why}; reviewed: ${decided}`);
    };
    const [validation] = await listOwnChecks({ github, repo, ref: pr.head.sha, name: VALIDATE_CHECK });
    if (!validation) {
      await review("missed-delivery", "no validation (a missed delivery)");
      continue;
    }
    if (validation.status !== "completed") {
      const started = Date.parse(validation.started_at ?? "");
      if (started < params.startedAt || Date.now() - started > ABANDONED_AFTER_MS)
        await review("orphaned-validation", "validation left in progress by a process that is gone");
      continue;
    }
    if (validation.conclusion !== "success" || pr.draft) continue;
    const [evaluation] = await listOwnChecks({ github, repo, ref: pr.head.sha, name: EVALUATE_CHECK });
    if (!evaluation) {
      await review("missing-evaluation", "validated, but no evaluation asked for");
      continue;
    }
    if (evaluation.status === "completed") continue;
    const correlation = correlationId(pr.number, pr.head.sha);
    const runs = await evaluationRuns({ github, repo, correlation });
    if (
      runs.length === 0 &&
      evaluation.status === "queued" &&
      Date.parse(evaluation.started_at ?? "") < params.startedAt
    ) {
      await review("undispatched-evaluation", "evaluation queued, but no run dispatched");
      continue;
    }
    const finished = runs.find((run) => run.status === "completed");
    if (finished && !runs.some((run) => run.status !== "completed")) {
      const { outcome } = await reportEvaluation({
        github,
        repo,
        run: finished,
        defaultBranch: params.defaultBranch,
      });
      act(
        "unreported-run",
        `${at}: run ${finished.id} finished, its result not reported; reported: ${outcome}`,
      );
      continue;
    }
    if (
      await endLostEvaluation({
        github,
        repo,
        headSha: pr.head.sha,
        checkRunId: evaluation.id,
        startedAt: evaluation.started_at,
        active: runs.length > 0,
      })
    )
      act("lost-run", `${at}: no evaluation result for a day and no run: ended as failed`);
  }
  for (const pr of await recentlyMergedPullRequests(github, repo, params.defaultBranch)) {
    const { outcome } = await recordMerge({
      github,
      repo,
      pullNumber: pr.number,
      headSha: pr.head.sha,
      branch: params.defaultBranch,
    });
    if (outcome === "committed")
      act(
        "unwritten-merge",
        `#${pr.number} ${pr.head.sha.slice(0, 7)}: merged, registry entry missing; written`,
      );
  }
  return did;
}

/**
 * An evaluation waits for its run's result; when none came within EVALUATION_DEADLINE_MS and no run
 * for that commit is queued or running, the run was lost: end the check, saying so, with Retrain.
 */
async function endLostEvaluation(params: {
  github: GitHub;
  repo: RepoRef;
  headSha: string;
  checkRunId: number;
  startedAt: string | null;
  active: boolean;
}): Promise<boolean> {
  if (params.active || Date.now() - Date.parse(params.startedAt ?? "") <= EVALUATION_DEADLINE_MS)
    return false;
  await completeCheck({
    github: params.github,
    repo: params.repo,
    checkRunId: params.checkRunId,
    conclusion: "failure",
    output: {
      title: "No evaluation result arrived",
      summary: `No result came for ${params.headSha} within ${EVALUATION_DEADLINE_MS / 3_600_000} hours and no run for it is queued or running: the run was lost (or no GPU runner took it). Comment \`/loragate retrain\` (or press Retrain) to run it again.`,
      findings: [],
    },
    actions: [RETRAIN_ACTION],
  });
  return true;
}

/**
 * Reconciles every repository of every installation at start (a restart may have left work open),
 * then every `everyMs` (0: at start only); each repair is one log line.
 */
export function scheduleReconciler(params: {
  app: Probot;
  everyMs: number;
  busy: (repo: RepoRef, pullNumber: number) => boolean;
  onAction?: (line: string) => void;
}): void {
  const { app } = params;
  const startedAt = Date.now();
  const tick = async () => {
    for (const installation of await appInstallationIds(await app.auth())) {
      const github = await app.auth(installation);
      for (const { repo, defaultBranch } of await installationRepositories(github)) {
        const did = await reconcileRepository({
          github,
          repo,
          defaultBranch,
          startedAt,
          busy: (n) => params.busy(repo, n),
        });
        for (const line of did) {
          app.log.info({ reconciler: true }, `reconciler: ${repo.owner}/${repo.repo}${line}`);
          params.onAction?.(line);
        }
        // the queue moves between events too (runners come and go): each tick refreshes where it stands
        const updated = await showQueuePosition({ github, repo });
        if (updated > 0)
          app.log.info(
            { reconciler: true },
            `reconciler: ${repo.owner}/${repo.repo}: queue position updated on ${updated} evaluation checks`,
          );
      }
    }
  };
  const run = () =>
    tick().catch((error) => app.log.error({ err: error }, `reconciler: ${describeError(error)}`));
  setTimeout(run, 0).unref();
  if (params.everyMs > 0) setInterval(run, params.everyMs).unref();
}
