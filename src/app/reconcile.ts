import type { Probot } from "probot";
import { correlationId } from "../core/review/correlation.ts";
import { appInstallationIds, installationRepositories } from "../github/access.ts";
import { completeCheck, listOwnChecks } from "../github/check-runs.ts";
import { evaluationRuns } from "../github/dispatch.ts";
import { openPullRequests, recentlyMergedPullRequests } from "../github/pulls.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { describeError } from "./logger.ts";
import type { Coordination } from "./coordination.ts";
import { evaluationsInFlight, reconcilerActions } from "./metrics.ts";
import { recordMerge } from "./record-merge.ts";
import { BAR_CHECK, reportEvaluation } from "./report-evaluation.ts";
import { EVALUATE_CHECK, RETRAIN_ACTION } from "./request-evaluation.ts";
import { reviewHead } from "./review-head.ts";
import { showQueuePosition } from "./show-queue-position.ts";
import { unfinished, VALIDATE_CHECK } from "./validate-pull-request.ts";

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
  /**
   * Runs one PR's repair as that PR's only worker (its deliveries' queue, and the shared lease when
   * replicas share a store): a delivery and the reconciler never work on one PR at once.
   */
  exclusive?: <T>(pullNumber: number, work: () => Promise<T>) => Promise<T>;
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
  return (await reconcileRepositoryCounted(params)).did;
}

/** reconcileRepository, with how many evaluations GitHub shows as dispatched and not reported. */
async function reconcileRepositoryCounted(
  params: ReconcileParams,
): Promise<{ did: string[]; evaluationsInFlight: number }> {
  const { github, repo } = params;
  const did: string[] = [];
  let inFlight = 0;
  const act = (action: string, line: string) => {
    reconcilerActions.inc({ action });
    did.push(line);
  };
  const exclusive: NonNullable<ReconcileParams["exclusive"]> = params.exclusive ?? ((_, work) => work());
  for (const pr of await openPullRequests(github, repo)) {
    if (params.busy?.(pr.number)) continue;
    await exclusive(pr.number, async () => {
      const at = `#${pr.number} ${pr.head.sha.slice(0, 7)}`;
      const review = async (action: string, why: string) => {
        // the list may be older than a delivery that ran meanwhile: no GPU for a head that moved on
        const { decided } = await reviewHead({
          github,
          repo,
          pr,
          defaultBranch: params.defaultBranch,
          fromDelivery: true,
        });
        act(action, `${at}: ${why}; reviewed: ${decided}`);
      };
      const [validation] = await listOwnChecks({ github, repo, ref: pr.head.sha, name: VALIDATE_CHECK });
      if (!validation) {
        await review("missed-delivery", "no validation (a missed delivery)");
        return;
      }
      if (unfinished(validation)) {
        await review("unfinished-validation", "validation did not finish (GitHub or the store failed)");
        return;
      }
      if (validation.status !== "completed") {
        const started = Date.parse(validation.started_at ?? "");
        if (started < params.startedAt || Date.now() - started > ABANDONED_AFTER_MS)
          await review("orphaned-validation", "validation left in progress by a process that is gone");
        return;
      }
      if (validation.conclusion !== "success" || pr.draft) return;
      const [evaluation] = await listOwnChecks({ github, repo, ref: pr.head.sha, name: EVALUATE_CHECK });
      if (!evaluation) {
        await review("missing-evaluation", "validated, but no evaluation asked for");
        return;
      }
      // Evaluate completes last, so a completed one means a finished report; a bar left open beside it
      // is a report cut short by an earlier version's order: report its run again.
      if (evaluation.status === "completed" && !(await barLeftOpen(github, repo, pr.head.sha))) return;
      const correlation = correlationId(pr.number, pr.head.sha);
      const runs = await evaluationRuns({ github, repo, correlation });
      if (
        runs.length === 0 &&
        evaluation.status === "queued" &&
        Date.parse(evaluation.started_at ?? "") < params.startedAt
      ) {
        await review("undispatched-evaluation", "evaluation queued, but no run dispatched");
        return;
      }
      const finished = runs.find((run) => run.status === "completed");
      if (evaluation.status === "completed" && !finished) return;
      if (evaluation.status !== "completed" && runs.some((run) => run.status !== "completed")) inFlight++;
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
        return;
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
    });
  }
  for (const pr of await recentlyMergedPullRequests(github, repo, params.defaultBranch)) {
    const { outcome } = await exclusive(pr.number, () =>
      recordMerge({
        github,
        repo,
        pullNumber: pr.number,
        headSha: pr.head.sha,
        branch: params.defaultBranch,
      }),
    );
    if (outcome === "committed")
      act(
        "unwritten-merge",
        `#${pr.number} ${pr.head.sha.slice(0, 7)}: merged, registry entry missing; written`,
      );
  }
  return { did, evaluationsInFlight: inFlight };
}

/** A `loragate/bar` on the commit that was started and not completed. */
async function barLeftOpen(github: GitHub, repo: RepoRef, headSha: string): Promise<boolean> {
  const [bar] = await listOwnChecks({ github, repo, ref: headSha, name: BAR_CHECK });
  return bar !== undefined && bar.status !== "completed";
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

/** How soon the reconciler comes back after work failed on GitHub (LORAGATE_RETRY_SECONDS says otherwise). */
export const DEFAULT_RETRY_SECONDS = 60;

/**
 * Reconciles every repository of every installation at start (a restart may have left work open),
 * then every `everyMs` (0: at start only), and `retryMs` after work failed (`soon()`), or after a
 * pass that could not finish; each repair is one log line. With replicas, one of them runs a pass at
 * a time (the store's leader lease); the others skip it.
 */
export function scheduleReconciler(params: {
  app: Probot;
  everyMs: number;
  retryMs: number;
  busy: (repo: RepoRef, pullNumber: number) => boolean;
  exclusive: <T>(repo: RepoRef, pullNumber: number, work: () => Promise<T>) => Promise<T>;
  coordination: Coordination;
  onAction?: (line: string) => void;
}): { soon: () => void } {
  const { app } = params;
  const startedAt = Date.now();
  const tick = async () => {
    let inFlight = 0;
    for (const installation of await appInstallationIds(await app.auth())) {
      const github = await app.auth(installation);
      for (const { repo, defaultBranch } of await installationRepositories(github)) {
        const { did, evaluationsInFlight: running } = await reconcileRepositoryCounted({
          github,
          repo,
          defaultBranch,
          startedAt,
          busy: (n) => params.busy(repo, n),
          exclusive: (n, work) => params.exclusive(repo, n, work),
        });
        inFlight += running;
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
    // What GitHub says is running, not what this process remembers (a restart started it at 0).
    evaluationsInFlight.set(inFlight);
  };
  let running: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  const soon = () => {
    retry ??= setTimeout(() => {
      retry = undefined;
      void run();
    }, params.retryMs).unref();
  };
  const run = async () => {
    if (running) return running;
    running = params.coordination
      .asLeader("reconciler", tick)
      .then(
        () => undefined,
        (error: unknown) => {
          app.log.error(`reconciler: ${describeError(error)}; it tries again in ${params.retryMs / 1000} s`);
          soon();
        },
      )
      .finally(() => (running = undefined));
    return running;
  };
  setTimeout(run, 0).unref();
  if (params.everyMs > 0) setInterval(run, params.everyMs).unref();
  return { soon };
}
