import { Unzip, UnzipInflate } from "fflate";
import type { GitHub, RepoRef } from "./types.ts";

/** The artifact the GPU workflow uploads results.json in. */
const RESULTS_ARTIFACT = "loragate-results";
/** Largest zipped artifact downloaded; results.json itself is capped again when parsed. */
const MAX_ARTIFACT_BYTES = 64 << 20;
/**
 * Zip bytes handed to the inflater at a time: deflate expands at most ~1032x, so one slice yields at
 * most ~16 MiB and the cap is checked between slices, never after gigabytes (a 2 MB zip of 2 GB zeros).
 */
const SLICE_BYTES = 16 << 10;

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
  return inflateResults(zip);
}

/**
 * results.json out of the artifact's zip, inflated as a stream and stopped as soon as it outgrows the
 * size its zip header declares (or the cap): a header that lies about the size would otherwise cost
 * seconds of CPU and yield a silently truncated file. Other entries (adapter, loss log) are not read.
 */
export function inflateResults(zip: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let inflated = 0;
  let declared: number | undefined;
  let finished = false;
  let problem: string | undefined;
  let found = false;
  const unzip = new Unzip((file) => {
    if (file.name !== "results.json" || found) return;
    found = true;
    declared = file.originalSize;
    const limit = Math.min(declared ?? MAX_ARTIFACT_BYTES, MAX_ARTIFACT_BYTES);
    file.ondata = (error, chunk, final) => {
      if (error) problem = `the artifact is not a readable zip: ${error.message}`;
      if (problem) return;
      inflated += chunk.length;
      if (inflated > limit) {
        problem = `results.json inflates past ${limit} bytes (${limit === declared ? "the size its zip header declares" : "the cap"})`;
        file.terminate();
        return;
      }
      chunks.push(chunk);
      finished = final;
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let at = 0; at < zip.length && !problem; at += SLICE_BYTES)
      unzip.push(zip.subarray(at, at + SLICE_BYTES), at + SLICE_BYTES >= zip.length);
  } catch (error) {
    problem ??= `the artifact is not a readable zip: ${(error as Error).message}`;
  }
  if (!found) throw new Error(`the "${RESULTS_ARTIFACT}" artifact holds no results.json`);
  if (problem) throw new Error(problem);
  if (!finished || (declared !== undefined && inflated !== declared))
    throw new Error(
      `results.json is ${inflated} bytes, its zip header declares ${declared ?? "?"}: the zip is damaged`,
    );
  const results = new Uint8Array(inflated);
  let at = 0;
  for (const chunk of chunks) {
    results.set(chunk, at);
    at += chunk.length;
  }
  return results;
}
