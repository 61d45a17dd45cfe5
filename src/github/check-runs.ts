import { capMarkdown } from "../core/evaluation/scorecard.ts";
import type { Finding } from "../core/findings/findings.ts";
import type { GitHub, RepoRef } from "./types.ts";
import { createOnce, NO_BLIND_RETRY } from "./write-once.ts";

/** GitHub accepts at most 50 annotations per check-run request. */
const ANNOTATIONS_PER_REQUEST = 50;

export type Conclusion = "success" | "failure" | "neutral" | "cancelled" | "timed_out" | "action_required";

export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
  findings: Finding[];
}

/** A button on the check run; GitHub sends check_run.requested_action with its identifier. */
export interface CheckAction {
  label: string;
  description: string;
  identifier: string;
}

/** A finding as a check-run annotation on its file and line (line 0: the file's first line). */
function toAnnotation(f: Finding) {
  const line = Math.max(1, f.line);
  return {
    path: f.file,
    start_line: line,
    end_line: line,
    ...(f.column && f.line > 0 ? { start_column: f.column, end_column: f.column } : {}),
    annotation_level: f.severity === "error" ? ("failure" as const) : ("warning" as const),
    title: `loragate ${f.rule}`.slice(0, 255),
    message: `${f.field ? `${f.field}: ` : ""}${f.message}`.slice(0, 64_000),
    raw_details: `hint: ${f.hint}`.slice(0, 64_000),
  };
}

/** The id of the GitHub App the client authenticates as, from its own credentials (no request); none for a token. */
export async function ownAppId(github: GitHub): Promise<number | undefined> {
  const auth = (await github.auth({ type: "app" }).catch(() => undefined)) as { appId?: number } | undefined;
  return auth?.appId;
}

/**
 * This app's latest check runs named `name` on a commit. Another app, or a workflow's token, can
 * create a check of the same name: it is not ours to read a verdict from, complete or override.
 */
export async function listOwnChecks(params: { github: GitHub; repo: RepoRef; ref: string; name: string }) {
  const appId = await ownAppId(params.github);
  const { data } = await params.github.rest.checks.listForRef({
    ...params.repo,
    ref: params.ref,
    check_name: params.name,
    filter: "latest",
    ...(appId ? { app_id: appId } : {}),
  });
  return data.check_runs;
}

export interface StartedCheck {
  id: number;
  /** It had completed before (a replay): its conclusion stands. */
  done: boolean;
  conclusion?: string | null;
  /** Its output's title (which says when it ended unfinished, to be done again). */
  title?: string | null;
  /** This call created it (no earlier delivery or process had). */
  created: boolean;
}

/**
 * The check run to work on for a commit: the existing one with the same external id (a redelivered
 * webhook; `done` when it already completed, so a replay changes nothing), or a new one in progress.
 */
export async function startCheck(params: {
  github: GitHub;
  repo: RepoRef;
  name: string;
  headSha: string;
  externalId: string;
  /** How a new check starts: in progress (work begins now) or queued (work waits, e.g. for a GPU). */
  status?: "in_progress" | "queued";
}): Promise<StartedCheck> {
  const existing = async (): Promise<StartedCheck | undefined> => {
    const runs = await listOwnChecks({ ...params, ref: params.headSha });
    const same = runs.find((run) => run.external_id === params.externalId);
    return (
      same && {
        id: same.id,
        done: same.status === "completed",
        conclusion: same.conclusion,
        title: same.output?.title,
        created: false,
      }
    );
  };
  const found = await existing();
  if (found) return found;
  return createOnce<StartedCheck>({
    create: async () => {
      const { data } = await params.github.rest.checks.create({
        ...params.repo,
        name: params.name,
        head_sha: params.headSha,
        external_id: params.externalId,
        status: params.status ?? "in_progress",
        ...(params.status === "queued" ? {} : { started_at: new Date().toISOString() }),
        ...NO_BLIND_RETRY,
      });
      return { id: data.id, done: false, created: true };
    },
    // created by the lost try: still ours to work on
    find: async () => {
      const lost = await existing();
      return lost && { ...lost, created: true };
    },
  });
}

/**
 * Completes a check run: the summary capped at GitHub's 65,535 characters, the annotations sent
 * 50 per request (the first batch with the conclusion, the rest as updates of the output).
 */
export async function completeCheck(params: {
  github: GitHub;
  repo: RepoRef;
  checkRunId: number;
  conclusion: Conclusion;
  output: CheckOutput;
  actions?: CheckAction[];
}): Promise<void> {
  const { github, repo, checkRunId, output } = params;
  const annotations = output.findings.map(toAnnotation);
  const base = {
    title: output.title.slice(0, 255),
    summary: capMarkdown(output.summary),
    ...(output.text ? { text: capMarkdown(output.text) } : {}),
  };
  for (let i = 0; i === 0 || i < annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    await github.rest.checks.update({
      ...repo,
      check_run_id: checkRunId,
      ...(i === 0
        ? {
            status: "completed" as const,
            conclusion: params.conclusion,
            completed_at: new Date().toISOString(),
            ...(params.actions ? { actions: params.actions } : {}),
          }
        : {}),
      output: { ...base, annotations: annotations.slice(i, i + ANNOTATIONS_PER_REQUEST) },
    });
  }
}

/** Puts a check run back in the queue (a retrain, or an approval after action_required). */
export async function requeueCheck(params: {
  github: GitHub;
  repo: RepoRef;
  checkRunId: number;
  title: string;
}): Promise<void> {
  await params.github.rest.checks.update({
    ...params.repo,
    check_run_id: params.checkRunId,
    status: "queued",
    output: { title: params.title, summary: params.title },
  });
}
