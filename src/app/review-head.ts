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
 * What every new PR head gets, from a webhook or from the reconciler:
 * 1. validate the PR's data (seconds, no GPU),
 * 2. when it passes, ask for training + evaluation on the GPU runners (drafts wait).
 */
export async function reviewHead(params: {
  github: GitHub;
  repo: RepoRef;
  pr: PullRequestHead;
  defaultBranch: string;
  log?: { error: (...args: unknown[]) => void };
}): Promise<void> {
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
  if (outcome.conclusion !== "success" || outcome.adapters.length !== 1 || !outcome.config || pr.draft)
    return;
  await requestEvaluation({
    github,
    repo,
    defaultBranch: params.defaultBranch,
    pullNumber: pr.number,
    headSha: pr.head.sha,
    adapter: outcome.adapters[0]!,
    authorAssociation: pr.author_association,
    gpu: outcome.config.gpu,
  });
}
