/**
 * What an adapter PR may not touch: the files only the app's merge writes (registry.yaml, the
 * leaderboard, the published evaluation records) and what maintainers keep (the config and workflows,
 * the benchmarks, a new file at the registry's root). A forged evaluations/<adapter>/<version>.json would
 * otherwise reach the site with scores no run produced. An edit of a root file that is there already
 * (README.md) is a maintainer's PR like any other and stays without a finding.
 */
import type { Finding } from "../findings/findings.ts";
import { REGISTRY_FILE } from "../registry/registry-context.ts";
import { EVALUATIONS_DIR } from "../site/site-inputs.ts";

const WRITTEN_ON_MERGE = [REGISTRY_FILE, "LEADERBOARD.md", `${EVALUATIONS_DIR}/`];
const KEPT_BY_MAINTAINERS = [".github/", "benchmarks/"];

const covers = (rule: string, path: string) => path === rule || (rule.endsWith("/") && path.startsWith(rule));

/**
 * The protected-path finding of one path a PR changes, if any; `added`: the PR creates the file there
 * (GitHub's status added, renamed or copied, for the new name).
 */
export function protectedPathFinding(path: string, added: boolean): Finding | undefined {
  const reason = WRITTEN_ON_MERGE.some((rule) => covers(rule, path))
    ? "only loragate writes it, on merge"
    : KEPT_BY_MAINTAINERS.some((rule) => covers(rule, path)) || (added && !path.includes("/"))
      ? "maintainers change it in their own PRs"
      : undefined;
  if (!reason) return undefined;
  return {
    file: path,
    line: 0,
    field: "",
    rule: "protected-path",
    severity: "error",
    message: `this PR ${added ? "adds" : "changes"} ${path}; ${reason}`,
    hint: "remove this change from the adapter PR",
  };
}
