import { unzipSync } from "fflate";
import type { GitHub, RepoRef } from "./types.ts";

/** The artifact the GPU workflow uploads results.json in. */
export const RESULTS_ARTIFACT = "loragate-results";
/** Largest zipped artifact downloaded; results.json itself is capped again when parsed. */
export const MAX_ARTIFACT_BYTES = 64 << 20;

/** results.json of a workflow run, from its `loragate-results` artifact, size-capped before download. */
export async function downloadResults(params: {
  github: GitHub;
  repo: RepoRef;
  runId: number;
}): Promise<Uint8Array> {
  const { github, repo, runId } = params;
  const artifacts = await github.paginate(github.rest.actions.listWorkflowRunArtifacts, {
    ...repo,
    run_id: runId,
    per_page: 100,
  });
  const artifact = artifacts.find((a) => a.name === RESULTS_ARTIFACT && !a.expired);
  if (!artifact) throw new Error(`the run uploaded no "${RESULTS_ARTIFACT}" artifact`);
  if (artifact.size_in_bytes > MAX_ARTIFACT_BYTES)
    throw new Error(
      `the "${RESULTS_ARTIFACT}" artifact is ${artifact.size_in_bytes} bytes, over ${MAX_ARTIFACT_BYTES}`,
    );
  const { data } = await github.rest.actions.downloadArtifact({
    ...repo,
    artifact_id: artifact.id,
    archive_format: "zip",
  });
  const zip = new Uint8Array(data as ArrayBuffer);
  if (zip.length > MAX_ARTIFACT_BYTES)
    throw new Error(`the downloaded artifact is ${zip.length} bytes, over ${MAX_ARTIFACT_BYTES}`);
  let files: Record<string, Uint8Array>;
  try {
    // Only results.json is inflated; other entries (adapter, loss log) are not read here.
    files = unzipSync(zip, {
      filter: (file) => file.name === "results.json" && file.originalSize <= MAX_ARTIFACT_BYTES,
    });
  } catch (error) {
    throw new Error(`the artifact is not a readable zip: ${(error as Error).message}`);
  }
  const results = files["results.json"];
  if (!results) throw new Error(`the "${RESULTS_ARTIFACT}" artifact holds no results.json`);
  return results;
}
