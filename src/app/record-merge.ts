import { readMergeRecord } from "../core/registry/merge-record.ts";
import { applyMerge, renderLeaderboard } from "../core/registry/registry-update.ts";
import { RegistrySchema } from "../core/schemas/registry.ts";
import { EVALUATIONS_DIR } from "../core/site/site-inputs.ts";
import { commitRegistryChange } from "../github/commit-registry.ts";
import { listOwnChecks } from "../github/check-runs.ts";
import { reply } from "../github/issues.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { BAR_CHECK } from "./report-evaluation.ts";
import { parseDocument } from "yaml";

export type MergeOutcome = "not-evaluated" | "committed" | "unchanged";

/**
 * pull_request closed + merged into the default branch:
 * 1. take the merge record from the passing `loragate/bar` check of the merged head commit
 *    (no passing bar on that exact commit: nothing is written),
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
  const record = readMergeRecord(passing?.output.text);
  if (!record || record.provenance.pr !== params.pullNumber || record.provenance.head_sha !== params.headSha)
    return { outcome: "not-evaluated" };
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
