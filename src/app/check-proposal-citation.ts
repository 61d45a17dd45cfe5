import type { Finding } from "../core/findings/findings.ts";
import { issueLabels } from "../github/issues.ts";
import type { Config } from "../core/schemas/config.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { STATE_LABELS } from "./review-proposal.ts";

/**
 * An adapter PR cites its approved proposal (`Proposal: #N` in the PR description, else `proposal: N`
 * in adapter.yaml). Per config `proposals`: required → an error, advisory → a warning, off → nothing.
 */
export async function checkProposalCitation(params: {
  github: GitHub;
  repo: RepoRef;
  mode: Config["proposals"];
  prBody: string | null;
  adapter: string;
  manifestProposal?: number;
}): Promise<Finding[]> {
  if (params.mode === "off") return [];
  const severity = params.mode === "required" ? "error" : "warning";
  const file = `adapters/${params.adapter}/adapter.yaml`;
  const finding = (rule: string, message: string, hint: string): Finding[] => [
    { file, line: 0, field: "proposal", rule, severity, message, hint },
  ];
  const cited = /\bProposal:\s*#(\d{1,9})\b/i.exec(params.prBody ?? "")?.[1];
  const number = cited ? Number(cited) : params.manifestProposal;
  if (number === undefined) {
    return finding(
      "proposal-missing",
      "this adapter PR cites no proposal",
      "add `Proposal: #N` (the approved adapter-proposal issue) to the PR description, or `proposal: N` to adapter.yaml",
    );
  }
  try {
    const labels = await issueLabels(params.github, params.repo, number);
    if (labels.includes(STATE_LABELS.approved)) return [];
    return finding(
      "proposal-not-approved",
      `proposal #${number} is not approved yet`,
      "a maintainer approves it with `/loragate approve-proposal` on the issue",
    );
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
    return finding(
      "proposal-missing",
      `proposal #${number} does not exist in this repository`,
      "cite the adapter-proposal issue's number",
    );
  }
}
