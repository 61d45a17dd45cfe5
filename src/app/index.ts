import type { Probot } from "probot";
import { parseCorrelation } from "../core/review/correlation.ts";
import { approveProposal, clearPendingLabels } from "./approve-proposal.ts";
import { handleCommand } from "./handle-command.ts";
import { describeError } from "./logger.ts";
import { recordMerge } from "./record-merge.ts";
import { reportEvaluation } from "./report-evaluation.ts";
import { RETRAIN_ACTION } from "./request-evaluation.ts";
import { supersedeEvaluation } from "./supersede-evaluation.ts";
import { DEFAULT_RECONCILE_MINUTES, scheduleReconciler } from "./reconcile.ts";
import { reviewHead } from "./review-head.ts";
import { isProposal, reviewProposal, STATE_LABELS } from "./review-proposal.ts";
import { WorkQueue } from "./work-queue.ts";

const queues = new WeakMap<Probot, WorkQueue>();

/** The work the app's deliveries left running (for shutdown, and for tests to wait on). */
export const workOf = (app: Probot): WorkQueue | undefined => queues.get(app);

/**
 * The loragate GitHub App: each handler reads like the flow in DESIGN.md. Every delivery is answered
 * at once; its work runs after, one at a time per pull request (WorkQueue), and ends in one log line
 * that says what was decided.
 */
export default function loragate(app: Probot, options: { reconcile?: boolean } = {}): void {
  // A failed GitHub call is one line (see logger.ts); anything else keeps its stack: it is a bug.
  const queue = new WorkQueue((error, key) =>
    app.log.error({ err: error }, `${key}: ${describeError(error)}`),
  );
  queues.set(app, queue);
  const keyOf = (repo: { owner: string; repo: string }, number: number | string) =>
    `${repo.owner}/${repo.repo}#${number}`;
  if (options.reconcile !== false)
    scheduleReconciler({
      app,
      everyMs: Number(process.env.LORAGATE_RECONCILE_MINUTES ?? DEFAULT_RECONCILE_MINUTES) * 60_000,
      busy: (repo, number) => queue.busy(keyOf(repo, number)),
    });
  /** Runs `work` after the answer, in `key`'s order; logs `key: what it returned`, with the delivery. */
  const later = (
    delivery: { id: string; name: string; payload: { action?: string } },
    key: string,
    work: () => Promise<string | undefined>,
  ) =>
    queue.enqueue(key, async () => {
      const started = performance.now();
      const decided = await work();
      if (decided)
        app.log.info(
          {
            delivery: delivery.id,
            event: `${delivery.name}.${delivery.payload.action ?? ""}`,
            pr: key,
            ms: Math.round(performance.now() - started),
          },
          `${key}: ${decided}`,
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
      later(context, keyOf(repo, pr.number), async () => {
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
        const decided = await reviewHead({
          github: context.octokit,
          repo,
          pr,
          defaultBranch: context.payload.repository.default_branch,
          log: context.log,
          fromDelivery: true,
        });
        return `${context.payload.action} ${pr.head.sha.slice(0, 7)}: ${decided}`;
      });
    },
  );
  app.on("workflow_run.completed", async (context) => {
    const run = context.payload.workflow_run;
    const repo = context.repo();
    const pr = parseCorrelation(run.display_title)?.pr ?? `run ${run.id}`;
    later(context, keyOf(repo, pr), async () => {
      const outcome = await reportEvaluation({
        github: context.octokit,
        repo,
        run,
        defaultBranch: context.payload.repository.default_branch,
      });
      return outcome === "ignored" ? undefined : `run ${run.id} (${run.conclusion}): ${outcome}`;
    });
  });

  app.on("pull_request.closed", async (context) => {
    const pr = context.payload.pull_request;
    const branch = context.payload.repository.default_branch;
    if (!pr.merged || pr.base.ref !== branch) return;
    const repo = context.repo();
    later(context, keyOf(repo, pr.number), async () => {
      const outcome = await recordMerge({
        github: context.octokit,
        repo,
        pullNumber: pr.number,
        headSha: pr.head.sha,
        branch,
      });
      return `merged: registry ${outcome}`;
    });
  });

  app.on(["issues.opened", "issues.edited"], async (context) => {
    const { issue } = context.payload;
    if (!isProposal(issue)) return;
    const repo = context.repo();
    later(context, keyOf(repo, issue.number), async () => {
      await reviewProposal({
        github: context.octokit,
        repo,
        issue,
        defaultBranch: context.payload.repository.default_branch,
      });
      return "proposal reviewed";
    });
  });
  app.on("issues.labeled", async (context) => {
    const { issue, label } = context.payload;
    if (label?.name !== STATE_LABELS.approved || !isProposal(issue)) return;
    const repo = context.repo();
    later(context, keyOf(repo, issue.number), async () => {
      await clearPendingLabels({ github: context.octokit, repo, issueNumber: issue.number });
      return "proposal approved: pending labels cleared";
    });
  });
  app.on("issue_comment.created", async (context) => {
    const { issue, comment } = context.payload;
    if (comment.user?.type === "Bot") return;
    const repo = context.repo();
    later(context, keyOf(repo, issue.number), async () => {
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
      return answer && `command by ${comment.user?.login}: ${answer}`;
    });
  });

  app.on("check_run.requested_action", async (context) => {
    const { check_run, requested_action, sender } = context.payload;
    const pr = check_run.pull_requests[0];
    if (requested_action?.identifier !== RETRAIN_ACTION.identifier || !pr) return;
    const repo = context.repo();
    // The button is a `/loragate retrain` by whoever pressed it: same permission check, same reply.
    later(context, keyOf(repo, pr.number), async () => {
      const answer = await handleCommand({
        github: context.octokit,
        repo,
        pullNumber: pr.number,
        body: "/loragate retrain",
        commenter: sender.login,
        defaultBranch: context.payload.repository.default_branch,
        deliveryId: context.id,
      });
      return answer && `Retrain pressed by ${sender.login}: ${answer}`;
    });
  });
}
