import { HIDDEN_PINS_VARIABLE, parseHiddenPins } from "../core/evaluation/hidden-pins.ts";
import { evaluateBar } from "../core/evaluation/bar.ts";
import { expectedResultsFor } from "../core/contamination/benchmarks-for.ts";
import { parseResults } from "../core/evaluation/load-results.ts";
import { embedMergeRecord, mergeRecord, readMergeRecord } from "../core/registry/merge-record.ts";
import { renderScorecard, SCORECARD_MARKER } from "../core/evaluation/scorecard.ts";
import { downloadResults } from "../github/artifacts.ts";
import { completeCheck, startCheck } from "../github/check-runs.ts";
import { parseCorrelation } from "../core/review/correlation.ts";
import { currentVersion } from "../core/registry/current-version.ts";
import { loadRegistryContext } from "../core/registry/registry-context.ts";
import { routingSection } from "../core/router/routing-section.ts";
import { scorecardRouting } from "../core/router/scorecard-routing.ts";
import { EVALUATE_WORKFLOW } from "../github/dispatch.ts";
import { currentPullRequest } from "../github/pulls.ts";
import { activeEvaluationRuns } from "../github/workflow-runs.ts";
import { readConfig } from "../github/read-config.ts";
import { readPullRequest } from "../github/read-pull-request.ts";
import { upsertStickyComment } from "../github/sticky-comment.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { evaluationsInFlight } from "./metrics.ts";
import { EVALUATE_CHECK, RETRAIN_ACTION } from "./request-evaluation.ts";

export const BAR_CHECK = "loragate/bar";

export interface CompletedRun {
  id: number;
  /** The run-name, which carries the correlation id pr<N>-<sha12>. */
  display_title?: string;
  path?: string;
  event: string;
  head_branch: string | null;
  conclusion: string | null;
  html_url: string;
}

export type ReportOutcome =
  "ignored" | "stale" | "superseded" | "failed-run" | "bad-results" | "passed" | "failed-bar";

/**
 * workflow_run completed, for the registry's evaluate workflow:
 * 1. correlate the run to a PR and head commit (the run-name); ignore other workflows, branches and old commits,
 * 2. a failed or cancelled run ends `loragate/evaluate` and `loragate/bar` as failed, with a retrain hint,
 * 3. otherwise read results.json from the run's artifact, validate it, check it is complete for the PR's
 *    adapter (every benchmark and item), and apply the bar (config of the default branch),
 * 4. write the one sticky scorecard comment, then complete `loragate/bar`, then `loragate/evaluate`.
 */
export async function reportEvaluation(
  params: ReportParams,
): Promise<{ outcome: ReportOutcome; adapter?: string }> {
  const seen: { adapter?: string } = {};
  const outcome = await reportRun(params, seen);
  // a verdict (or a failed run) ends the evaluation; the gauge never goes below what this process dispatched
  if (
    !["ignored", "stale", "superseded"].includes(outcome) &&
    (await evaluationsInFlight.get()).values[0]!.value > 0
  )
    evaluationsInFlight.dec();
  return { outcome, adapter: seen.adapter };
}

interface ReportParams {
  github: GitHub;
  repo: RepoRef;
  run: CompletedRun;
  defaultBranch: string;
}

/** reportEvaluation's steps; `seen` learns the adapter as `name@version` once results.json is read. */
async function reportRun(params: ReportParams, seen: { adapter?: string }): Promise<ReportOutcome> {
  const { github, repo, run } = params;
  const correlation = parseCorrelation(run.display_title);
  const ours =
    run.event === "workflow_dispatch" &&
    run.head_branch === params.defaultBranch &&
    (run.path ?? "").endsWith(`.github/workflows/${EVALUATE_WORKFLOW}`);
  if (!correlation || !ours) return "ignored";
  const pullNumber = correlation.pr;
  const pr = await currentPullRequest(github, repo, pullNumber);
  if (!pr.headSha.startsWith(correlation.shaPrefix)) return "stale"; // a newer push superseded this run
  // A retrain dispatches a second run for the same commit, and the workflow's concurrency group
  // cancels the first: that cancellation is not a verdict, the newer run's result is.
  if (run.conclusion === "cancelled") {
    const active = await activeEvaluationRuns({ github, repo, correlation: correlation.id });
    if (active.some((other) => other.id !== run.id)) return "superseded";
  }
  const headSha = pr.headSha;
  const evaluate = await startCheck({
    github,
    repo,
    name: EVALUATE_CHECK,
    headSha,
    externalId: `evaluate:${correlation.id}`,
  });
  const bar = await startCheck({
    github,
    repo,
    name: BAR_CHECK,
    headSha,
    externalId: `bar:${correlation.id}`,
  });
  if (evaluate.done && bar.done) return "ignored"; // a redelivered event
  const fail = async (outcome: ReportOutcome, title: string, summary: string) => {
    const hint = `\n\nRun: ${run.html_url}\n\nComment \`/loragate retrain\` (or press Retrain) to train and evaluate again.`;
    // `loragate/evaluate` last: while it is open, the reconciler reports the run again (see below).
    await completeCheck({
      github,
      repo,
      checkRunId: bar.id,
      conclusion: "failure",
      output: { title: "No evaluation to judge", summary: `${title}.${hint}`, findings: [] },
    });
    await completeCheck({
      github,
      repo,
      checkRunId: evaluate.id,
      conclusion: "failure",
      output: { title, summary: summary + hint, findings: [] },
      actions: [RETRAIN_ACTION],
    });
    return outcome;
  };
  if (run.conclusion !== "success") {
    return fail(
      "failed-run",
      `The evaluation run ended: ${run.conclusion ?? "unknown"}`,
      "Training or evaluation did not finish, so there are no numbers for this commit.",
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await downloadResults({ github, repo, runId: run.id });
  } catch (error) {
    return fail("bad-results", "The evaluation left no readable results", (error as Error).message);
  }
  const loaded = parseResults(bytes);
  if (loaded.ok) seen.adapter = `${loaded.results.adapter}@${loaded.results.version}`;
  if (!loaded.ok)
    return fail("bad-results", "results.json is invalid", loaded.errors.map((e) => `- ${e}`).join("\n"));
  if (loaded.results.head_sha !== headSha) {
    return fail(
      "bad-results",
      "results.json describes another commit",
      `It names ${loaded.results.head_sha}; the pull request is at ${headSha}.`,
    );
  }
  const { config } = await readConfig({ github, repo, ref: params.defaultBranch });
  // What complete results hold, from the PR as the gate reads it: a run that left benchmarks or
  // items out, or repeated them, does not pass.
  const files = await readPullRequest({
    github,
    repo,
    pullNumber,
    baseSha: pr.baseSha,
    headSha,
    trainingData: false, // the benchmarks' item ids are all it needs
  });
  const expected = await expectedResultsFor({
    source: files.source,
    adapter: loaded.results.adapter,
    hiddenBenchmarks: config.bar.hidden.benchmarks,
    headSha,
  });
  // the operator's pins live in the app's environment, checked at start (environment.ts)
  const pins = parseHiddenPins(process.env[HIDDEN_PINS_VARIABLE]);
  if (typeof expected !== "string" && "pins" in pins && pins.pins) expected.hiddenSha256 = pins.pins;
  if (typeof expected === "string")
    return fail("bad-results", "results.json cannot be checked against the pull request", `${expected}.`);
  // The version this one replaces, from the base commit's registry.yaml (an imported one included).
  const context = await loadRegistryContext(files.source);
  const currentScore = currentVersion(context.registry, loaded.results.adapter);
  const verdict = evaluateBar({ results: loaded.results, config, expected, currentScore });
  const routing = await scorecardRouting({
    source: files.source,
    context,
    adapter: loaded.results.adapter,
    offThread: true,
  });
  const scorecard = renderScorecard({
    results: loaded.results,
    verdict,
    ...(routing ? { routing: routingSection(loaded.results, routing) } : {}),
  });
  // The order is what makes a kill at any point recoverable: the scorecard, then the bar, then
  // `loragate/evaluate`. While evaluate is open, the reconciler finds the finished run and reports it
  // again; each write looks before it writes (the comment is unchanged, the checks complete again).
  await upsertStickyComment({
    github,
    repo,
    issueNumber: pullNumber,
    marker: SCORECARD_MARKER,
    body: scorecard,
  });
  // What the merge will write to registry.yaml, kept with the verdict it depends on; read back here as
  // the merge will read it, so that a record it could not use (base.id over 200 characters, a training
  // figure out of range) stops the merge now instead of leaving the adapter out of the registry then.
  const record = embedMergeRecord(mergeRecord(loaded.results, verdict, pullNumber, run.id));
  const readBack = readMergeRecord(record);
  const unrecordable = verdict.pass && "problem" in readBack ? readBack.problem : undefined;
  await completeCheck({
    github,
    repo,
    checkRunId: bar.id,
    conclusion: verdict.pass && !unrecordable ? "success" : "failure",
    output: {
      title: unrecordable
        ? "Passes the bar, but its merge could not be recorded"
        : verdict.pass
          ? "Passes the bar"
          : "Does not pass the bar",
      summary: [
        ...verdict.reasons.map((r) => `- ${r.text}`),
        ...(unrecordable
          ? [
              `- the merge could not be recorded in registry.yaml: what it would write ${unrecordable} ✗ (fix that, then \`/loragate evaluate\`)`,
            ]
          : []),
      ].join("\n"),
      text: record,
      findings: [],
    },
  });
  await completeCheck({
    github,
    repo,
    checkRunId: evaluate.id,
    conclusion: "success",
    output: {
      title: `Evaluated ${loaded.results.adapter} ${loaded.results.version}`,
      summary: scorecard,
      findings: [],
    },
  });
  return verdict.pass && !unrecordable ? "passed" : "failed-bar";
}
