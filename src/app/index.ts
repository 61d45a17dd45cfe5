import type { Probot } from "probot";
import { validatePullRequest } from "./validate-pull-request.ts";

/** The loragate GitHub App: each handler reads like the flow in DESIGN.md and calls one function. */
export default function loragate(app: Probot): void {
  app.on(
    [
      "pull_request.opened",
      "pull_request.synchronize",
      "pull_request.reopened",
      "pull_request.ready_for_review",
    ],
    async (context) => {
      const pr = context.payload.pull_request;
      await validatePullRequest({
        github: context.octokit,
        repo: context.repo(),
        pullNumber: pr.number,
        headSha: pr.head.sha,
        baseSha: pr.base.sha,
        log: context.log,
      });
    },
  );
}
