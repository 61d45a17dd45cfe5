import { formatText } from "../core/format-report.ts";
import { type OnPhase, phaseClock } from "../core/phases.ts";
import { counted } from "../core/text.ts";
import { allFindings, type CheckReport, checkRegistry } from "../core/check.ts";
import { summarizeContamination } from "../core/contamination/report.ts";
import { countBySeverity, type Finding, sortFindings } from "../core/findings/findings.ts";
import type { Config } from "../core/schemas/config.ts";
import { checkProposalCitation } from "./check-proposal-citation.ts";
import { describeError } from "./logger.ts";
import { StoreUnavailable } from "./coordination.ts";
import { completeCheck, type Conclusion, startCheck } from "../github/check-runs.ts";
import { readPullRequest } from "../github/read-pull-request.ts";
import type { GitHub, RepoRef } from "../github/types.ts";

export const VALIDATE_CHECK = "loragate/validate";

export interface ValidatePullRequestParams {
  github: GitHub;
  repo: RepoRef;
  pullNumber: number;
  headSha: string;
  baseSha: string;
  log?: { error: (...args: unknown[]) => void };
  /** Sees the time of each phase (fetch, validate, contamination, publish), for benchmarks. */
  onPhase?: OnPhase;
  /** The PR description, where `Proposal: #N` cites the approved proposal. */
  prBody?: string | null;
}

export interface ValidationOutcome {
  conclusion: Conclusion;
  findings: Finding[];
  adapters: string[];
  /** The check of this commit had already completed (its conclusion stands): nothing was done again. */
  replay?: boolean;
  /** The base branch's config, when the PR could be read. */
  config?: Config;
  /** The adapter as `name@version` (for the log), when one manifest was read. */
  adapter?: string;
}

/**
 * The `loragate/validate` check of one PR head:
 * 1. mark the check in progress on the head commit,
 * 2. read the PR's adapter folder at the head and the registry at the base, as data,
 * 3. validate with the shared core (schema, datasets, contamination),
 * 4. complete the check with a summary and one annotation per finding.
 * A failure to read ends the check as failed with the reason: never a check left in progress.
 */
export async function validatePullRequest(params: ValidatePullRequestParams): Promise<ValidationOutcome> {
  const { github, repo, headSha } = params;
  const check = await startCheck({
    github,
    repo,
    name: VALIDATE_CHECK,
    headSha,
    externalId: `validate:${headSha}`,
  });
  if (check.done && !UNFINISHED_TITLES.includes(check.title ?? ""))
    return {
      conclusion: (check.conclusion ?? "neutral") as Conclusion,
      findings: [],
      adapters: [],
      replay: true,
    };
  const checkRunId = check.id;
  try {
    const clock = phaseClock(params.onPhase);
    const files = await readPullRequest({
      github,
      repo,
      pullNumber: params.pullNumber,
      baseSha: params.baseSha,
      headSha,
    });
    clock.lap("fetch");
    const reports: CheckReport[] = [];
    for (const adapter of files.adapters)
      reports.push(
        await checkRegistry({ source: files.source, adapter, onPhase: params.onPhase, routeOffThread: true }),
      );
    clock.skip(); // validate and contamination were timed inside
    const citation =
      files.adapters.length === 1
        ? await checkProposalCitation({
            github,
            repo,
            mode: files.config.proposals,
            prBody: params.prBody ?? null,
            adapter: files.adapters[0]!,
            manifestProposal: reports[0]?.adapters[0]?.manifest?.proposal,
          })
        : [];
    const manifest = reports[0]?.adapters[0]?.manifest;
    const outcome = {
      ...conclude([...files.findings, ...citation], files.adapters, reports),
      config: files.config,
      adapter: manifest ? `${manifest.name}@${manifest.version}` : files.adapters[0],
    };
    await completeCheck({
      github,
      repo,
      checkRunId,
      conclusion: outcome.conclusion,
      output: render(outcome, reports),
    });
    clock.lap("publish");
    return outcome;
  } catch (error) {
    params.log?.error(error, "loragate/validate could not run");
    const message = describeError(error);
    await completeCheck({
      github,
      repo,
      checkRunId,
      conclusion: "failure",
      output: {
        title: "loragate could not read this pull request",
        summary: `The check could not run: ${message.slice(0, 500)}\n\nPush again or comment \`/loragate help\`; a maintainer can see the details in the app's log.`,
        findings: [],
      },
    });
    return { conclusion: "failure", findings: [], adapters: [] };
  }
}

/** The titles of a validation that did not run to its end (GitHub or the store failed): it is run again. */
export const UNFINISHED_TITLE = "loragate could not finish: it tries again by itself";
export const WAITING_TITLE = "Waiting: the app's replicas cannot coordinate (shared store down)";
const UNFINISHED_TITLES = [UNFINISHED_TITLE, WAITING_TITLE];

/** Whether a validate check is one that its head's next review does again. */
export const unfinished = (check: { output?: { title?: string | null } }) =>
  UNFINISHED_TITLES.includes(check.output?.title ?? "");

/**
 * A head's review failed before its validation ended (GitHub kept failing past the retries, or the
 * replicas' store is down): the head's `loragate/validate` says so, instead of nothing. A store that
 * is down leaves it queued ("waiting"); a GitHub failure ends it as failed, saying why and how to retry.
 * The reconciler reviews such a head again soon after (DEFAULT_RETRY_SECONDS).
 */
export async function leaveUnfinishedValidation(params: {
  github: GitHub;
  repo: RepoRef;
  headSha: string;
  error: unknown;
}): Promise<void> {
  const { github, repo, headSha } = params;
  const why = describeError(params.error).slice(0, 500);
  const waiting = params.error instanceof StoreUnavailable;
  const check = await startCheck({
    github,
    repo,
    name: VALIDATE_CHECK,
    headSha,
    externalId: `validate:${headSha}`,
    status: "queued",
  });
  if (check.done && !UNFINISHED_TITLES.includes(check.title ?? "")) return; // it ended after all
  const retry = `loragate reviews this commit again by itself within a few minutes. To try at once, push a commit, or a maintainer redelivers this pull request's delivery (the GitHub App's Advanced settings).`;
  if (waiting) {
    await github.rest.checks.update({
      ...repo,
      check_run_id: check.id,
      status: "queued",
      output: {
        title: WAITING_TITLE,
        summary: `${why}\n\nNo work runs until the replicas can agree who does it (no GPU run twice). ${retry}`,
      },
    });
    return;
  }
  await completeCheck({
    github,
    repo,
    checkRunId: check.id,
    conclusion: "failure",
    output: {
      title: UNFINISHED_TITLE,
      summary: `The review of ${headSha} stopped: ${why}\n\n${retry}`,
      findings: [],
    },
  });
}

function conclude(prFindings: Finding[], adapters: string[], reports: CheckReport[]): ValidationOutcome {
  // Registry findings come from the base branch: the PR did not cause them, but they block a fair check.
  const findings = sortFindings([...prFindings, ...reports.flatMap(allFindings)]);
  const { errors } = countBySeverity(findings);
  const conclusion: Conclusion =
    adapters.length === 0 && errors === 0 ? "neutral" : errors > 0 ? "failure" : "success";
  return { conclusion, findings, adapters };
}

function render(outcome: ValidationOutcome, reports: CheckReport[]) {
  const { errors, warnings } = countBySeverity(outcome.findings);
  const names = outcome.adapters.map((a) => `\`${a.replace(/[^a-z0-9-]/g, "?")}\``).join(", ");
  const title =
    outcome.adapters.length === 0 && errors === 0
      ? "No adapter in this pull request"
      : errors > 0
        ? `${counted(errors, "error")}, ${counted(warnings, "warning")} in ${names || "this pull request"}`
        : `${names}: valid${warnings > 0 ? `, ${counted(warnings, "warning")}` : ""}`;
  const lines: string[] = [];
  for (const report of reports) {
    for (const a of report.adapters) {
      const counts = countBySeverity(a.findings);
      lines.push(
        `- ${a.ok ? "✅" : "❌"} \`${a.name.replace(/[^a-z0-9-]/g, "?")}\`: ${counted(counts.errors, "error")}, ${counted(counts.warnings, "warning")}` +
          (a.stats.train ? `, ${a.stats.train.unique} training examples` : "") +
          (a.stats.benchmark ? `, ${a.stats.benchmark.unique} benchmark items` : ""),
      );
      if (a.contamination) lines.push(`  - ${summarizeContamination(a.contamination)}`);
    }
  }
  if (outcome.adapters.length === 0)
    lines.push("This PR changes no folder under `adapters/`, so there is nothing to validate.");
  lines.push(
    "",
    "Each finding is annotated on its file and line. Run `npx loragate check` locally for the same report.",
  );
  const text =
    reports.map((r) => formatText(r)).join("\n") +
    outcome.findings
      .filter((f) => f.rule === "protected-path" || f.rule === "one-adapter-per-pr")
      .map((f) => `${f.file} ${f.severity} ${f.message} [${f.rule}]\n  hint: ${f.hint}\n`)
      .join("");
  return {
    title,
    summary: lines.join("\n"),
    text: `\`\`\`\`text\n${text.replace(/`{4,}/g, "```")}\n\`\`\`\``,
    findings: outcome.findings,
  };
}
