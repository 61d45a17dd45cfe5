import { isCorrelationId } from "../core/review/correlation.ts";
import { GIT_SHA_PATTERN, NAME_PATTERN } from "../core/schemas/common.ts";
import type { GitHub, RepoRef } from "./types.ts";
import { createOnce, NO_BLIND_RETRY } from "./write-once.ts";

/** The registry's train + evaluate workflow (template in the fixture registry). */
export const EVALUATE_WORKFLOW = "loragate.yml";

export interface EvaluationInputs {
  pr: number;
  head_sha: string;
  adapter: string;
  correlation_id: string;
}

/** Inputs reach a workflow on a GPU runner: each must match a strict pattern, or nothing is dispatched. */
export function checkEvaluationInputs(inputs: EvaluationInputs): string | undefined {
  if (!Number.isSafeInteger(inputs.pr) || inputs.pr <= 0) return "pr must be a positive integer";
  if (!GIT_SHA_PATTERN.test(inputs.head_sha)) return "head_sha must be 40 hex digits";
  if (!NAME_PATTERN.test(inputs.adapter)) return "adapter must be a valid adapter name";
  if (!isCorrelationId(inputs.correlation_id)) return "correlation_id must look like pr<N>-<sha12>";
  return undefined;
}

/** workflow_dispatch on the default branch: the trusted workflow runs, the PR only supplies data. */
export async function dispatchEvaluation(params: {
  github: GitHub;
  repo: RepoRef;
  defaultBranch: string;
  inputs: EvaluationInputs;
}): Promise<void> {
  const { github, repo, inputs } = params;
  const problem = checkEvaluationInputs(inputs);
  if (problem) throw new Error(`refusing to dispatch: ${problem}`);
  // A dispatch whose answer was lost shows as a run of this commit that was not there before.
  const before = new Set(
    (await evaluationRuns({ github, repo, correlation: inputs.correlation_id })).map((r) => r.id),
  );
  await createOnce<unknown>({
    create: () =>
      github.rest.actions.createWorkflowDispatch({
        ...repo,
        workflow_id: EVALUATE_WORKFLOW,
        ref: params.defaultBranch,
        inputs: { ...inputs, pr: String(inputs.pr) },
        ...NO_BLIND_RETRY,
      }),
    find: async () =>
      (await evaluationRuns({ github, repo, correlation: inputs.correlation_id })).find(
        (r) => !before.has(r.id),
      ),
  });
}

type WorkflowRun = Awaited<
  ReturnType<GitHub["rest"]["actions"]["listWorkflowRuns"]>
>["data"]["workflow_runs"][number];

/** The latest runs of the evaluate workflow (any status) for a correlation id, from their run-name. */
export async function evaluationRuns(params: {
  github: GitHub;
  repo: RepoRef;
  correlation: string;
  status?: "queued" | "in_progress" | "completed";
}): Promise<WorkflowRun[]> {
  const { data } = await params.github.rest.actions.listWorkflowRuns({
    ...params.repo,
    workflow_id: EVALUATE_WORKFLOW,
    ...(params.status ? { status: params.status } : {}),
    per_page: 100,
  });
  return data.workflow_runs.filter((r) => (r.display_title ?? "").split(" ").includes(params.correlation));
}
