import { parseCommand } from "../core/review/commands.ts";
import { addLabel, removeLabel, reply as replyOn } from "../github/issues.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { permitted } from "./permission.ts";
import { STATE_LABELS } from "./review-proposal.ts";

/** `/loragate approve-proposal` on a proposal issue: permission-checked, then the `approved` label. */
export async function approveProposal(params: {
  github: GitHub;
  repo: RepoRef;
  issueNumber: number;
  body: string;
  commenter: string;
}): Promise<"approved" | "denied" | "ignored"> {
  const { github, repo } = params;
  if (parseCommand(params.body)?.name !== "approve-proposal") return "ignored";
  const reply = (body: string) => replyOn(github, repo, params.issueNumber, body);
  if (!(await permitted({ github, repo, commenter: params.commenter, command: "approve-proposal", reply })))
    return "denied";
  await addLabel(github, repo, params.issueNumber, STATE_LABELS.approved);
  await clearPendingLabels({ github, repo, issueNumber: params.issueNumber });
  await reply(
    `Approved by @${params.commenter}. Adapter PRs cite it with \`Proposal: #${params.issueNumber}\` in their description or \`proposal: ${params.issueNumber}\` in adapter.yaml.`,
  );
  return "approved";
}

/**
 * An approved proposal keeps only the `approved` state label. Also run when a maintainer adds the
 * label by hand (GitHub lets only triage and above label issues, so that is a permission check too).
 */
export async function clearPendingLabels(params: { github: GitHub; repo: RepoRef; issueNumber: number }) {
  for (const name of [STATE_LABELS.needsInfo, STATE_LABELS.ready])
    await removeLabel(params.github, params.repo, params.issueNumber, name);
}
