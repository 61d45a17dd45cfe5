import { currentPullRequest } from "../github/pulls.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { requestEvaluation } from "./request-evaluation.ts";
import { validatePullRequest } from "./validate-pull-request.ts";

export interface PullRequestHead {
  number: number;
  body?: string | null;
  draft?: boolean;
  author_association: string;
  head: { sha: string };
  base: { sha: string };
}

/**
 * What every new PR head gets, from a webhook or from the reconciler (returns what it decided, for the log):
 * 1. validate the PR's data (seconds, no GPU),
 * 2. when it passes, ask for training + evaluation on the GPU runners (drafts wait; a head that a
 *    newer push replaced meanwhile is not evaluated).
 */
export async function reviewHead(params: {
  github: GitHub;
  repo: RepoRef;
  pr: PullRequestHead;
  defaultBranch: string;
  log?: { error: (...args: unknown[]) => void };
  /**
   * The head comes from a delivery, which may arrive after a newer push's: confirm it is still the
   * PR's head before asking for a GPU. (A stale head's run would waste the GPU and, as the workflow's
   * concurrency group is per PR, cancel the newer head's run.)
   */
  fromDelivery?: boolean;
}): Promise<string> {
  const { github, repo, pr } = params;
  const outcome = await validatePullRequest({
    prBody: pr.body,
    github,
    repo,
    pullNumber: pr.number,
    headSha: pr.head.sha,
    baseSha: pr.base.sha,
    log: params.log,
  });
  const validated = `validation ${outcome.conclusion}`;
  if (outcome.conclusion !== "success" || outcome.adapters.length !== 1 || !outcome.config) return validated;
  if (pr.draft) return `${validated}; a draft, not evaluated`;
  // The registry's own base lacks a pin (its check annotation says which): no GPU until a maintainer pins it.
  if (outcome.findings.some((f) => f.rule === "unpinned-base"))
    return `${validated}; the base is not pinned, not evaluated`;
  if (params.fromDelivery) {
    const live = await currentPullRequest(github, repo, pr.number);
    if (live.headSha !== pr.head.sha) return `${validated}; the head moved on, not evaluated`;
  }
  const evaluation = await requestEvaluation({
    github,
    repo,
    defaultBranch: params.defaultBranch,
    pullNumber: pr.number,
    headSha: pr.head.sha,
    adapter: outcome.adapters[0]!,
    authorAssociation: pr.author_association,
    gpu: outcome.config.gpu,
  });
  return `${validated}; evaluation ${evaluation}`;
}
