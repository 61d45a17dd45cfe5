import { changedAdapter, currentPullRequest } from "../github/pulls.ts";
import { missingBasePins, readConfig } from "../github/read-config.ts";
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
}): Promise<{ decided: string; adapter?: string }> {
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
  const validated = `validation ${outcome.conclusion}${outcome.replay ? " (done before)" : ""}`;
  if (outcome.conclusion !== "success") return { decided: validated, adapter: outcome.adapter };
  // Validated before (a redelivery, or a restart after the check but before the evaluation was asked
  // for): what the evaluation needs is read again rather than the data validated again.
  const evaluable = outcome.replay
    ? await validatedBefore(github, repo, pr)
    : {
        adapters: outcome.adapters,
        gpu: outcome.config?.gpu,
        unpinned: outcome.findings.some((f) => f.rule === "unpinned-base"),
      };
  const { adapters, gpu, unpinned } = evaluable;
  const said = (decided: string) => ({ decided, adapter: outcome.adapter ?? adapters[0] });
  if (adapters.length !== 1 || !gpu) return said(validated);
  if (pr.draft) return said(`${validated}; a draft, not evaluated`);
  // The registry's own base lacks a pin (its check annotation says which): no GPU until a maintainer pins it.
  if (unpinned) return said(`${validated}; the base is not pinned, not evaluated`);
  if (params.fromDelivery) {
    const live = await currentPullRequest(github, repo, pr.number);
    if (live.headSha !== pr.head.sha) return said(`${validated}; the head moved on, not evaluated`);
  }
  const evaluation = await requestEvaluation({
    github,
    repo,
    defaultBranch: params.defaultBranch,
    pullNumber: pr.number,
    headSha: pr.head.sha,
    adapter: adapters[0]!,
    authorAssociation: pr.author_association,
    gpu,
  });
  return said(`${validated}; evaluation ${evaluation}`);
}

/** What an evaluation needs of a head whose validation passed earlier: its adapter and the base's settings. */
async function validatedBefore(github: GitHub, repo: RepoRef, pr: PullRequestHead) {
  const adapter = await changedAdapter(github, repo, pr.number);
  const { config } = await readConfig({ github, repo, ref: pr.base.sha });
  const unpinned = await missingBasePins({ github, repo, ref: pr.base.sha });
  return { adapters: adapter ? [adapter] : [], gpu: config.gpu, unpinned: unpinned.length > 0 };
}
