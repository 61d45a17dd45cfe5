import { readMergeRecord } from "../core/registry/merge-record.ts";
import { applyMerge, renderLeaderboard } from "../core/registry/registry-update.ts";
import { RegistrySchema } from "../core/schemas/registry.ts";
import { EVALUATIONS_DIR } from "../core/site/site-inputs.ts";
import { commitRegistryChange } from "../github/commit-registry.ts";
import { listOwnChecks } from "../github/check-runs.ts";
import { reply } from "../github/issues.ts";
import { upsertStickyComment } from "../github/sticky-comment.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { BAR_CHECK } from "./report-evaluation.ts";
import { parseDocument } from "yaml";

/** The hidden marker of the one comment that says a merge was not recorded. */
const NOT_RECORDED_MARKER = "<!-- loragate:merge-not-recorded -->";

export type MergeOutcome = "not-evaluated" | "not-recorded" | "committed" | "unchanged";

/**
 * pull_request closed + merged into the default branch:
 * 1. take the merge record from the passing `loragate/bar` check of the merged head commit
 *    (no passing bar on that exact commit: nothing is written; a passing one whose record cannot be
 *    used: nothing is written, and the PR says why),
 * 2. write registry.yaml (the entry, the domain's active adapter), LEADERBOARD.md and the evaluation's
 *    record for the registry's page (evaluations/<name>/<version>.json) in one commit,
 *    re-applied on a moved branch; a replay changes nothing; a write that cannot land is said on the PR.
 */
export async function recordMerge(params: {
  github: GitHub;
  repo: RepoRef;
  pullNumber: number;
  headSha: string;
  branch: string;
}): Promise<{ outcome: MergeOutcome; adapter?: string }> {
  const { github, repo } = params;
  const checks = await listOwnChecks({ github, repo, ref: params.headSha, name: BAR_CHECK });
  const passing = checks.find((run) => run.status === "completed" && run.conclusion === "success");
  if (!passing) return { outcome: "not-evaluated" };
  // The bar passed: a record that cannot be used is said on the PR, never dropped in silence.
  const record = readMergeRecord(passing.output.text);
  const problem =
    "problem" in record
      ? record.problem
      : record.provenance.pr !== params.pullNumber
        ? `records pull request #${record.provenance.pr}`
        : record.provenance.head_sha !== params.headSha
          ? `records commit ${record.provenance.head_sha.slice(0, 7)}`
          : undefined;
  if (problem || "problem" in record) {
    await upsertStickyComment({
      github,
      repo,
      issueNumber: params.pullNumber,
      marker: NOT_RECORDED_MARKER,
      body: `${NOT_RECORDED_MARKER}\n⚠️ loragate did not record this merge in \`registry.yaml\`: the passing \`${BAR_CHECK}\` check of ${params.headSha.slice(0, 7)} ${problem}. Nothing was written on \`${params.branch}\`: once that is fixed, a maintainer adds the entry by hand.`,
    });
    return { outcome: "not-recorded" };
  }
  const adapter = `${record.name}@${record.version}`;
  try {
    const outcome = await commitRegistryChange({
      github,
      repo,
      branch: params.branch,
      message: `registry: ${record.name} ${record.version} from #${params.pullNumber}\n\nWritten by loragate from the evaluation of ${params.headSha}.`,
      change: (current) => {
        const next = applyMerge(current, record);
        if (next === current) return undefined;
        const registry = RegistrySchema.parse(parseDocument(next).toJS());
        return [
          { path: "registry.yaml", content: next },
          { path: "LEADERBOARD.md", content: renderLeaderboard(registry) },
          // the page's score history: one record per merged version, never rewritten
          ...(record.evaluation
            ? [
                {
                  path: `${EVALUATIONS_DIR}/${record.name}/${record.version}.json`,
                  content: `${JSON.stringify(record.evaluation, null, 1)}\n`,
                },
              ]
            : []),
        ];
      },
    });
    return { outcome, adapter };
  } catch (error) {
    // The ref never moved, so nothing was written; say so where maintainers look, then fail the delivery.
    await reply(
      github,
      repo,
      params.pullNumber,
      `⚠️ loragate could not record this merge in \`registry.yaml\`: ${(error as Error).message}. Nothing was written on \`${params.branch}\`. Redeliver this pull request's \`closed\` delivery (the GitHub App's Advanced settings) to try again.`,
    );
    throw error;
  }
}
