import type { Probot } from "probot";
import { approveProposal, clearPendingLabels } from "./approve-proposal.ts";
import { handleCommand } from "./handle-command.ts";
import { recordMerge } from "./record-merge.ts";
import { reportEvaluation } from "./report-evaluation.ts";
import { RETRAIN_ACTION } from "./request-evaluation.ts";
import { supersedeEvaluation } from "./supersede-evaluation.ts";
import { scheduleReconciler } from "./reconcile.ts";
import { reviewHead } from "./review-head.ts";
import { isProposal, reviewProposal, STATE_LABELS } from "./review-proposal.ts";

/** The loragate GitHub App: each handler reads like the flow in DESIGN.md. */
export default function loragate(app: Probot): void {
  const reconcileMinutes = Number(process.env.LORAGATE_RECONCILE_MINUTES ?? 0);
  if (reconcileMinutes > 0) scheduleReconciler(app, reconcileMinutes * 60_000);

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
      // 0. a new push supersedes the evaluation of the previous head
      if (context.payload.action === "synchronize") {
        const previousSha = context.payload.before;
        await supersedeEvaluation({
          github: context.octokit,
          repo,
          pullNumber: pr.number,
          previousSha,
          newSha: pr.head.sha,
        });
      }
      // 1-2. validate, then ask for GPU evaluation when it passes
      await reviewHead({
        github: context.octokit,
        repo,
        pr,
        defaultBranch: context.payload.repository.default_branch,
        log: context.log,
        fromDelivery: true,
      });
    },
  );
  app.on("workflow_run.completed", async (context) => {
    await reportEvaluation({
      github: context.octokit,
      repo: context.repo(),
      run: context.payload.workflow_run,
      defaultBranch: context.payload.repository.default_branch,
    });
  });

  app.on("pull_request.closed", async (context) => {
    const pr = context.payload.pull_request;
    const branch = context.payload.repository.default_branch;
    if (!pr.merged || pr.base.ref !== branch) return;
    await recordMerge({
      github: context.octokit,
      repo: context.repo(),
      pullNumber: pr.number,
      headSha: pr.head.sha,
      branch,
    });
  });

  app.on(["issues.opened", "issues.edited"], async (context) => {
    const { issue } = context.payload;
    if (!isProposal(issue)) return;
    await reviewProposal({
      github: context.octokit,
      repo: context.repo(),
      issue,
      defaultBranch: context.payload.repository.default_branch,
    });
  });
  app.on("issues.labeled", async (context) => {
    const { issue, label } = context.payload;
    if (label?.name !== STATE_LABELS.approved || !isProposal(issue)) return;
    await clearPendingLabels({ github: context.octokit, repo: context.repo(), issueNumber: issue.number });
  });
  app.on("issue_comment.created", async (context) => {
    const { issue, comment } = context.payload;
    if (comment.user?.type === "Bot") return;
    if (!issue.pull_request) {
      if (isProposal(issue)) {
        await approveProposal({
          github: context.octokit,
          repo: context.repo(),
          issueNumber: issue.number,
          body: comment.body,
          commenter: comment.user?.login ?? "",
        });
      }
      return;
    }
    await handleCommand({
      github: context.octokit,
      repo: context.repo(),
      pullNumber: issue.number,
      body: comment.body,
      commenter: comment.user?.login ?? "",
      defaultBranch: context.payload.repository.default_branch,
      commentedAt: comment.created_at,
    });
  });

  app.on("check_run.requested_action", async (context) => {
    const { check_run, requested_action, sender } = context.payload;
    const pr = check_run.pull_requests[0];
    if (requested_action?.identifier !== RETRAIN_ACTION.identifier || !pr) return;
    // The button is a `/loragate retrain` by whoever pressed it: same permission check, same reply.
    await handleCommand({
      github: context.octokit,
      repo: context.repo(),
      pullNumber: pr.number,
      body: "/loragate retrain",
      commenter: sender.login,
      defaultBranch: context.payload.repository.default_branch,
    });
  });
}
