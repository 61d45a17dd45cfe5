import type { ApplicationFunctionOptions, Probot } from "probot";
import { parseCorrelation } from "../core/review/correlation.ts";
import { approveProposal, clearPendingLabels } from "./approve-proposal.ts";
import { handleCommand } from "./handle-command.ts";
import { describeError } from "./logger.ts";
import { recordMerge } from "./record-merge.ts";
import { reportEvaluation } from "./report-evaluation.ts";
import { RETRAIN_ACTION } from "./request-evaluation.ts";
import { supersedeEvaluation } from "./supersede-evaluation.ts";
import { DEFAULT_RECONCILE_MINUTES, DEFAULT_RETRY_SECONDS, scheduleReconciler } from "./reconcile.ts";
import { alone, type Coordination } from "./coordination.ts";
import { reviewHead } from "./review-head.ts";
import { showQueuePosition } from "./show-queue-position.ts";
import { isProposal, reviewProposal, STATE_LABELS } from "./review-proposal.ts";
import { WorkQueue } from "./work-queue.ts";
import { leaveUnfinishedValidation } from "./validate-pull-request.ts";
import { operatorEndpoints } from "./health.ts";
import { deliveries, workSeconds } from "./metrics.ts";

/** What a delivery's work decided, for its log line. */
interface Decision {
  outcome: string;
  sha?: string;
  /** `name@version` (or the name alone when the version is not known). */
  adapter?: string;
}

const queues = new WeakMap<Probot, WorkQueue>();

/** The work the app's deliveries left running (for shutdown, and for tests to wait on). */
export const workOf = (app: Probot): WorkQueue | undefined => queues.get(app);

/**
 * The loragate GitHub App: each handler reads like the flow in DESIGN.md. Every delivery is answered
 * at once; its work runs after, one at a time per pull request (WorkQueue), and ends in one log line
 * that says what was decided.
 */
export default function loragate(
  app: Probot,
  options: Partial<ApplicationFunctionOptions> & {
    reconcile?: boolean;
    /** The replicas' shared store (LORAGATE_REDIS_URL); none: this process is the only replica. */
    coordination?: Coordination;
  } = {},
): void {
  const coordination = options.coordination ?? alone;
  // A failed GitHub call is one line (see logger.ts); anything else keeps its stack: it is a bug.
  const queue = new WorkQueue((error, key) =>
    app.log.error({ err: error }, `${key}: ${describeError(error)}`),
  );
  queues.set(app, queue);
  const keyOf = (repo: { owner: string; repo: string }, number: number | string) =>
    `${repo.owner}/${repo.repo}#${number}`;
  const reconciler =
    options.reconcile === false
      ? { soon: () => undefined }
      : scheduleReconciler({
          app,
          everyMs: Number(process.env.LORAGATE_RECONCILE_MINUTES ?? DEFAULT_RECONCILE_MINUTES) * 60_000,
          retryMs: Number(process.env.LORAGATE_RETRY_SECONDS ?? DEFAULT_RETRY_SECONDS) * 1000,
          busy: (repo, number) => queue.busy(keyOf(repo, number)),
          // the reconciler's repair of a PR waits for that PR's deliveries, here and on every replica
          exclusive: (repo, number, work) =>
            queue.run(keyOf(repo, number), () => coordination.withLease(keyOf(repo, number), work)),
          coordination,
        });
  options.addHandler?.(operatorEndpoints({ app, queue, coordination }));
  /**
   * Runs `work` after the answer, in `key`'s order and under its lease (one worker per PR across
   * replicas), once per delivery across replicas; counts it, and logs what it decided in one line:
   * `owner/repo#N sha7 adapter@version: outcome (delivery id)`, the same fields in JSON. When it
   * fails, `onFailure` leaves its trace on the PR, and the reconciler comes back soon.
   */
  const later = (
    delivery: { id: string; name: string; payload: { action?: string } },
    key: string,
    step: string,
    work: () => Promise<Decision | undefined>,
    onFailure?: (error: unknown) => Promise<void>,
  ) =>
    queue.enqueue(key, async () => {
      const started = performance.now();
      const event = `${delivery.name}.${delivery.payload.action ?? ""}`;
      const claim = `${delivery.id}:${step}`;
      let decided: Decision | undefined;
      try {
        if (!(await coordination.claimDelivery(claim))) {
          deliveries.inc({ event, outcome: "another replica's" });
          app.log.info(
            { delivery: delivery.id, event, pr: key },
            `${key}: delivery ${delivery.id} is another replica's`,
          );
          return;
        }
        decided = await coordination.withLease(key, work);
      } catch (error) {
        deliveries.inc({ event, outcome: "failed" });
        reconciler.soon();
        await coordination.releaseDelivery(claim).catch(() => undefined); // a redelivery runs it again
        await onFailure?.(error).catch((trace: unknown) =>
          app.log.warn(`${key}: the failure could not be said on the pull request: ${describeError(trace)}`),
        );
        throw error;
      } finally {
        workSeconds.observe({ step }, (performance.now() - started) / 1000);
      }
      deliveries.inc({ event, outcome: decided ? "decided" : "nothing to do" });
      if (!decided) return;
      const sha = decided.sha?.slice(0, 7);
      app.log.info(
        {
          delivery: delivery.id,
          event,
          pr: key,
          sha,
          adapter: decided.adapter,
          outcome: decided.outcome,
          ms: Math.round(performance.now() - started),
        },
        `${key} ${sha ?? "-"} ${decided.adapter ?? "-"}: ${decided.outcome} (delivery ${delivery.id})`,
      );
    });

  app.on(
    [
      "pull_request.opened",
      "pull_request.synchronize",
      "pull_request.reopened",
      "pull_request.ready_for_review",
    ],
    async (context) => {
      const pr = context.payload.pull_request;
      const repo = context.repo();
      later(
        context,
        keyOf(repo, pr.number),
        "review",
        async () => {
          // 0. a new push supersedes the evaluation of the previous head
          if (context.payload.action === "synchronize") {
            await supersedeEvaluation({
              github: context.octokit,
              repo,
              pullNumber: pr.number,
              previousSha: context.payload.before,
              newSha: pr.head.sha,
            });
          }
          // 1-2. validate, then ask for GPU evaluation when it passes
          const { decided, adapter } = await reviewHead({
            github: context.octokit,
            repo,
            pr,
            defaultBranch: context.payload.repository.default_branch,
            log: context.log,
            fromDelivery: true,
          });
          return { outcome: `${context.payload.action}: ${decided}`, sha: pr.head.sha, adapter };
        },
        // the work failed before it could end its check: the check says why, and that it comes back
        (error) => leaveUnfinishedValidation({ github: context.octokit, repo, headSha: pr.head.sha, error }),
      );
    },
  );
  app.on("workflow_run.completed", async (context) => {
    const run = context.payload.workflow_run;
    const repo = context.repo();
    const correlation = parseCorrelation(run.display_title);
    later(context, keyOf(repo, correlation?.pr ?? `run ${run.id}`), "report", async () => {
      const { outcome, adapter } = await reportEvaluation({
        github: context.octokit,
        repo,
        run,
        defaultBranch: context.payload.repository.default_branch,
      });
      return outcome === "ignored"
        ? undefined
        : { outcome: `run ${run.id} (${run.conclusion}): ${outcome}`, sha: correlation?.shaPrefix, adapter };
    });
  });

  // A run requested or started moves GitHub's queue: every waiting contributor's check says where it stands.
  app.on(["workflow_run.requested", "workflow_run.in_progress"], async (context) => {
    const run = context.payload.workflow_run as { display_title?: string | null };
    if (!parseCorrelation(run.display_title)) return; // not an evaluation
    const repo = context.repo();
    later(context, keyOf(repo, "queue"), "queue", async () => {
      const updated = await showQueuePosition({ github: context.octokit, repo });
      return updated ? { outcome: `queue position updated on ${updated} evaluation checks` } : undefined;
    });
  });

  app.on("pull_request.closed", async (context) => {
    const pr = context.payload.pull_request;
    const branch = context.payload.repository.default_branch;
    if (!pr.merged || pr.base.ref !== branch) return;
    const repo = context.repo();
    later(context, keyOf(repo, pr.number), "merge", async () => {
      const { outcome, adapter } = await recordMerge({
        github: context.octokit,
        repo,
        pullNumber: pr.number,
        headSha: pr.head.sha,
        branch,
      });
      return { outcome: `merged: registry ${outcome}`, sha: pr.head.sha, adapter };
    });
  });

  app.on(["issues.opened", "issues.edited"], async (context) => {
    const { issue } = context.payload;
    if (!isProposal(issue)) return;
    const repo = context.repo();
    later(context, keyOf(repo, issue.number), "proposal", async () => {
      await reviewProposal({
        github: context.octokit,
        repo,
        issue,
        defaultBranch: context.payload.repository.default_branch,
      });
      return { outcome: "proposal reviewed" };
    });
  });
  app.on("issues.labeled", async (context) => {
    const { issue, label } = context.payload;
    if (label?.name !== STATE_LABELS.approved || !isProposal(issue)) return;
    const repo = context.repo();
    later(context, keyOf(repo, issue.number), "proposal", async () => {
      await clearPendingLabels({ github: context.octokit, repo, issueNumber: issue.number });
      return { outcome: "proposal approved: pending labels cleared" };
    });
  });
  app.on("issue_comment.created", async (context) => {
    const { issue, comment } = context.payload;
    if (comment.user?.type === "Bot") return;
    const repo = context.repo();
    later(context, keyOf(repo, issue.number), "command", async () => {
      if (!issue.pull_request) {
        if (!isProposal(issue)) return undefined;
        await approveProposal({
          github: context.octokit,
          repo,
          issueNumber: issue.number,
          body: comment.body,
          commenter: comment.user?.login ?? "",
        });
        return undefined;
      }
      const answer = await handleCommand({
        github: context.octokit,
        repo,
        pullNumber: issue.number,
        body: comment.body,
        commenter: comment.user?.login ?? "",
        defaultBranch: context.payload.repository.default_branch,
        commentedAt: comment.created_at,
        deliveryId: context.id,
      });
      return answer && { ...answer, outcome: `command by ${comment.user?.login}: ${answer.outcome}` };
    });
  });

  app.on("check_run.requested_action", async (context) => {
    const { check_run, requested_action, sender } = context.payload;
    const pr = check_run.pull_requests[0];
    if (requested_action?.identifier !== RETRAIN_ACTION.identifier || !pr) return;
    const repo = context.repo();
    // The button is a `/loragate retrain` by whoever pressed it: same permission check, same reply.
    later(context, keyOf(repo, pr.number), "command", async () => {
      const answer = await handleCommand({
        github: context.octokit,
        repo,
        pullNumber: pr.number,
        body: "/loragate retrain",
        commenter: sender.login,
        defaultBranch: context.payload.repository.default_branch,
        deliveryId: context.id,
      });
      return answer && { ...answer, outcome: `Retrain pressed by ${sender.login}: ${answer.outcome}` };
    });
  });
}
