import { isCorrelationId } from "../core/review/correlation.ts";
import { GIT_SHA_PATTERN, NAME_PATTERN } from "../core/schemas/common.ts";
import type { GitHub, RepoRef } from "./types.ts";

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
  const problem = checkEvaluationInputs(params.inputs);
  if (problem) throw new Error(`refusing to dispatch: ${problem}`);
  await params.github.rest.actions.createWorkflowDispatch({
    ...params.repo,
    workflow_id: EVALUATE_WORKFLOW,
    ref: params.defaultBranch,
    inputs: { ...params.inputs, pr: String(params.inputs.pr) },
  });
}
