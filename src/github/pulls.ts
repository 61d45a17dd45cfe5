import type { GitHub, RepoRef } from "./types.ts";

export interface PullRequestState {
  number: number;
  headSha: string;
  baseSha: string;
  authorAssociation: string;
}

/** A pull request as GitHub holds it now (deliveries can be late: this is the truth about its head). */
export async function currentPullRequest(
  github: GitHub,
  repo: RepoRef,
  number: number,
): Promise<PullRequestState> {
  const { data } = await github.rest.pulls.get({ ...repo, pull_number: number });
  return {
    number,
    headSha: data.head.sha,
    baseSha: data.base.sha,
    authorAssociation: data.author_association,
  };
}

/** Every open pull request of the repository (the reconciler's worklist). */
export async function openPullRequests(github: GitHub, repo: RepoRef) {
  return github.paginate(github.rest.pulls.list, { ...repo, state: "open", per_page: 100 });
}

/** How far back the reconciler looks for merges whose registry entry may be missing. */
const RECENT_MERGES = 30;

/** The latest pull requests merged into `branch` (the last RECENT_MERGES closed ones, newest first). */
export async function recentlyMergedPullRequests(github: GitHub, repo: RepoRef, branch: string) {
  const { data } = await github.rest.pulls.list({
    ...repo,
    state: "closed",
    base: branch,
    sort: "updated",
    direction: "desc",
    per_page: RECENT_MERGES,
  });
  return data.filter((pr) => pr.merged_at);
}

/** The adapter a pull request changes (the first adapters/<name>/ among its files), if any. */
export async function changedAdapter(
  github: GitHub,
  repo: RepoRef,
  number: number,
): Promise<string | undefined> {
  const { data: files } = await github.rest.pulls.listFiles({ ...repo, pull_number: number, per_page: 100 });
  return files.map((f) => f.filename.split("/")).find((p) => p[0] === "adapters" && p.length > 2)?.[1];
}
