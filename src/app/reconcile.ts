import type { Probot } from "probot";
import { listOwnChecks } from "../github/check-runs.ts";
import { openPullRequests } from "../github/pulls.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { reviewHead } from "./review-head.ts";
import { VALIDATE_CHECK } from "./validate-pull-request.ts";

/** Validation takes seconds: one still open after this long was abandoned (the app restarted mid-way). */
export const ABANDONED_AFTER_MS = 10 * 60_000;

/**
 * Missed deliveries heal here: every open PR whose head commit has no `loragate/validate` check, or
 * only one abandoned in progress, is reviewed as if its webhook had just arrived. Safe to run any
 * time: a reviewed head is skipped, and one being reviewed right now (by any replica) too.
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
    if (settled) continue;
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

/** Every `everyMs`, reconciles every repository of every installation (LORAGATE_RECONCILE_MINUTES). */
export function scheduleReconciler(app: Probot, everyMs: number): void {
  const tick = async () => {
    const appClient = await app.auth();
    for (const installation of await appClient.paginate(appClient.rest.apps.listInstallations, {
      per_page: 100,
    })) {
      const github = await app.auth(installation.id);
      const repos = await github.paginate(github.rest.apps.listReposAccessibleToInstallation, {
        per_page: 100,
      });
      for (const r of repos) {
        await reconcileRepository({
          github,
          repo: { owner: r.owner.login, repo: r.name },
          defaultBranch: r.default_branch,
        });
      }
    }
  };
  const run = () => tick().catch((error) => app.log.error(error, "reconciler"));
  setTimeout(run, 0).unref(); // at start too: a restart may have left work open
  setInterval(run, everyMs).unref();
}
