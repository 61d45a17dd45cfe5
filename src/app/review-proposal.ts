import { parseDocument } from "yaml";
import { counted } from "../core/text.ts";
import { addLabel, labelNames, openIssuesLabeled, removeLabel } from "../github/issues.ts";
import { readFileAt } from "../github/repo-files.ts";
import { inert } from "../core/evaluation/scorecard.ts";
import {
  checkProposal,
  describeOverlap,
  OVERLAP_MEANING,
  type OverlapCandidate,
  proposalOverlap,
} from "../core/review/proposal.ts";
import { readConfig } from "../github/read-config.ts";
import { upsertStickyComment } from "../github/sticky-comment.ts";
import type { GitHub, RepoRef } from "../github/types.ts";

export const PROPOSAL_MARKER = "<!-- loragate:proposal -->";
const PROPOSAL_LABEL = "adapter-proposal";
export const STATE_LABELS = {
  needsInfo: "needs-info",
  ready: "ready-for-review",
  approved: "approved",
} as const;

export const isProposal = (issue: { title: string; labels?: ({ name?: string } | string)[] }) =>
  issue.title.trimStart().toLowerCase().startsWith("[adapter-proposal]") ||
  labelNames(issue.labels ?? []).includes(PROPOSAL_LABEL);

/**
 * issues opened/edited with the proposal title prefix or label:
 * 1. parse and check the rendered form against the registry's bar,
 * 2. find the closest registry adapters and open proposals,
 * 3. answer in ONE sticky comment, and set the state label (needs-info or ready-for-review).
 */
export async function reviewProposal(params: {
  github: GitHub;
  repo: RepoRef;
  issue: { number: number; body: string | null; labels?: ({ name?: string } | string)[] };
  defaultBranch: string;
}): Promise<"needs-info" | "ready-for-review" | "approved"> {
  const { github, repo, issue } = params;
  const { config } = await readConfig({ github, repo, ref: params.defaultBranch });
  const { proposal, problems } = checkProposal(issue.body ?? "", config.bar.min_train_examples);
  const lines = [PROPOSAL_MARKER, "## loragate: adapter proposal check", ""];
  if (problems.length === 0)
    lines.push("✅ Every section is there. A maintainer can approve with `/loragate approve-proposal`.");
  else
    lines.push(
      `❌ ${counted(problems.length, "thing")} to fix:`,
      "",
      ...problems.map((p) => `- ${inert(p.message, 300)} — ${inert(p.hint, 300)}`),
    );
  if (proposal) {
    const overlaps = proposalOverlap(
      proposal,
      await candidates(github, repo, params.defaultBranch, issue.number),
    );
    lines.push("", "### Closest existing adapters and proposals", "");
    if (overlaps.length === 0) lines.push("None: this domain looks new.");
    else
      lines.push(
        "| adapter or proposal | similarity |",
        "| --- | ---: |",
        ...overlaps.map((o) => `| ${inert(o.label, 80)} | ${describeOverlap(o)} |`),
        "",
        `Similarity: ${OVERLAP_MEANING}.`,
      );
  }
  await upsertStickyComment({
    github,
    repo,
    issueNumber: issue.number,
    marker: PROPOSAL_MARKER,
    body: lines.join("\n"),
  });
  const labels = new Set(labelNames(issue.labels ?? []));
  if (labels.has(STATE_LABELS.approved)) return "approved";
  const state = problems.length === 0 ? STATE_LABELS.ready : STATE_LABELS.needsInfo;
  const other = state === STATE_LABELS.ready ? STATE_LABELS.needsInfo : STATE_LABELS.ready;
  if (labels.has(other)) await removeLabel(github, repo, issue.number, other);
  if (!labels.has(state)) await addLabel(github, repo, issue.number, state);
  return state;
}

/** Registry adapters (from registry.yaml on the default branch) and the other open proposals. */
async function candidates(
  github: GitHub,
  repo: RepoRef,
  ref: string,
  self: number,
): Promise<OverlapCandidate[]> {
  const out: OverlapCandidate[] = [];
  const text = await readFileAt({ github, repo, path: "registry.yaml", ref });
  const registry = text
    ? (parseDocument(text.toString("utf8")).toJS() as { adapters?: Record<string, { domain?: string }> })
    : undefined;
  for (const [name, entry] of Object.entries(registry?.adapters ?? {})) {
    if (typeof entry?.domain === "string")
      out.push({ label: `adapter ${name}`, domain: entry.domain, text: name.replace(/-/g, " ") });
  }
  const open = await openIssuesLabeled(github, repo, PROPOSAL_LABEL);
  for (const other of open) {
    if (other.number === self || other.pull_request) continue;
    const { proposal } = checkProposal(other.body ?? "", 1);
    if (proposal)
      out.push({
        label: `proposal #${other.number}`,
        domain: proposal.domain,
        text: [proposal.description, proposal.router_keywords.join(" "), ...proposal.example_queries].join(
          "\n",
        ),
      });
  }
  return out;
}
