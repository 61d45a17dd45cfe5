import type { Probot } from "probot";
import { listOwnChecks } from "../github/check-runs.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { reviewHead } from "./review-head.ts";
import { VALIDATE_CHECK } from "./validate-pull-request.ts";

/**
 * Missed deliveries heal here: every open PR whose head commit has no `loragate/validate` check is
 * reviewed as if its webhook had just arrived. Safe to run any time: a reviewed head is skipped.
 */
export async function reconcileRepository(params: {
  github: GitHub;
  repo: RepoRef;
  defaultBranch: string;
}): Promise<number[]> {
  const { github, repo } = params;
  const open = await github.paginate(github.rest.pulls.list, { ...repo, state: "open", per_page: 100 });
  const reviewed: number[] = [];
  for (const pr of open) {
    const validations = await listOwnChecks({ github, repo, ref: pr.head.sha, name: VALIDATE_CHECK });
    if (validations.length > 0) continue;
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
  setInterval(() => tick().catch((error) => app.log.error(error, "reconciler")), everyMs).unref();
}
