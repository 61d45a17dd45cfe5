import { CONFIG_FILE, loadRegistryContext, REGISTRY_FILE } from "../core/registry/registry-context.ts";
import type { Finding } from "../core/findings/findings.ts";
import type { Config } from "../core/schemas/config.ts";
import { declaredDataFiles } from "../core/adapter/declared-data.ts";
import { MANIFEST_FILE } from "../core/adapter/validate-adapter.ts";
import { protectedPathFinding } from "../core/adapter/protected-paths.ts";
import { MemoryRegistrySource } from "../io/memory-source.ts";
import type { GitHub, RepoRef } from "./types.ts";

/** Largest file fetched from GitHub; larger ones are validated by their size alone. */
const FETCH_LIMIT = 100 << 20;

export interface PullRequestFiles {
  /** Trusted files from the base commit plus the PR's adapter folder at its head commit. */
  source: MemoryRegistrySource;
  /** Adapter folders the PR touches (untrusted names, validated by the core). */
  adapters: string[];
  /** Problems with what the PR touches, as findings on those files. */
  findings: Finding[];
  /** The base branch's `.github/loragate.yml` (defaults when absent or invalid). */
  config: Config;
}

/**
 * Reads a PR as data, never as code: registry.yaml, the config and every benchmark from the *base*
 * commit (a PR cannot loosen the bar or edit a benchmark to pass), and the touched adapter folders
 * from the *head* commit (fork PRs too). Sizes and symlinks come from the git tree, before any download.
 */
export async function readPullRequest(params: {
  github: GitHub;
  repo: RepoRef;
  pullNumber: number;
  baseSha: string;
  headSha: string;
  /** Download the training set too (validation and training need it; judging results does not). */
  trainingData?: boolean;
}): Promise<PullRequestFiles> {
  const { github, repo } = params;
  const changed = await github.paginate(github.rest.pulls.listFiles, {
    ...repo,
    pull_number: params.pullNumber,
    per_page: 100,
  });
  const findings: Finding[] = [];
  const adapters = new Set<string>();
  for (const file of changed) {
    for (const path of [file.filename, file.previous_filename].filter((p): p is string => Boolean(p))) {
      const added = path === file.filename && ["added", "renamed", "copied"].includes(file.status);
      const protectedPath = protectedPathFinding(path, added);
      if (protectedPath) {
        findings.push(protectedPath);
      } else if (path.startsWith("adapters/")) {
        const name = path.split("/")[1];
        if (name) adapters.add(name);
      }
    }
  }
  if (adapters.size > 1) {
    findings.push({
      file: "adapters/",
      line: 0,
      field: "",
      rule: "one-adapter-per-pr",
      severity: "error",
      message: `this PR touches ${adapters.size} adapter folders (${[...adapters].slice(0, 5).join(", ")}); an adapter PR changes one`,
      hint: "split it into one PR per adapter",
    });
  }
  const source = new MemoryRegistrySource();
  const wanted = (path: string) =>
    path === REGISTRY_FILE ||
    path === CONFIG_FILE ||
    path.startsWith("benchmarks/") ||
    /^adapters\/[^/]+\/(adapter\.yaml|eval\/[^/]+\.jsonl)$/.test(path);
  await addTree(
    github,
    repo,
    params.baseSha,
    (path) => wanted(path) && ![...adapters].some((a) => path.startsWith(`adapters/${a}/`)),
    source,
    FETCH_LIMIT,
  );
  // The base's limits decide what is fetched of the PR.
  const { config } = await loadRegistryContext(source);
  const touched = [...adapters];
  const inTouched = (path: string) => touched.some((a) => path.startsWith(`adapters/${a}/`));
  // Only what validation reads is downloaded: each adapter.yaml, then the two data files it declares.
  // Everything else (weights, images, extra files) is known by its size in the git tree alone.
  const head = await addTree(
    github,
    repo,
    params.headSha,
    inTouched,
    source,
    config.limits.max_file_bytes,
    (path) => path.endsWith(`/${MANIFEST_FILE}`),
  );
  for (const adapter of touched) {
    const { train, benchmark } = await declaredDataFiles(source, adapter);
    const wanted = (path?: string) => path === benchmark || (path === train && params.trainingData !== false);
    for (const entry of head.filter((e) => wanted(e.path)))
      await fetchBlob(github, repo, entry, source, config.limits.max_file_bytes);
  }
  return { source, adapters: touched, findings, config };
}

type TreeEntry = Awaited<ReturnType<GitHub["rest"]["git"]["getTree"]>>["data"]["tree"][number];

/**
 * Adds the files of a commit's tree that `keep` selects: symlinks as links, the ones `fetch` selects
 * (all by default) downloaded unless too large, the rest by their size only. Returns the kept entries.
 */
async function addTree(
  github: GitHub,
  repo: RepoRef,
  sha: string,
  keep: (path: string) => boolean,
  source: MemoryRegistrySource,
  maxFileBytes: number,
  fetch: (path: string) => boolean = () => true,
): Promise<TreeEntry[]> {
  const { data: tree } = await github.rest.git.getTree({ ...repo, tree_sha: sha, recursive: "true" });
  if (tree.truncated)
    throw new Error(`the tree of ${sha} is too large for one request (GitHub truncated it)`);
  const kept = tree.tree.filter((e) => e.path && e.type === "blob" && keep(e.path));
  for (const entry of kept) {
    if (entry.mode === "120000") source.set(entry.path!, { symlink: "(not followed)" });
    else if (fetch(entry.path!)) await fetchBlob(github, repo, entry, source, maxFileBytes);
    else source.set(entry.path!, { unfetched: entry.size ?? 0 });
  }
  return kept;
}

/** Downloads one blob of a tree, unless it is a link or larger than the limit (then known by size). */
async function fetchBlob(
  github: GitHub,
  repo: RepoRef,
  entry: TreeEntry,
  source: MemoryRegistrySource,
  maxFileBytes: number,
): Promise<void> {
  if (entry.mode === "120000") return;
  if ((entry.size ?? 0) > Math.min(maxFileBytes, FETCH_LIMIT)) {
    source.set(entry.path!, { unfetched: entry.size ?? 0 });
    return;
  }
  source.set(entry.path!, await readBlob(github, repo, entry.sha!, entry.size ?? 0));
}

/**
 * A blob's bytes as GitHub stores them, streamed raw into one buffer of the size the tree gave: never
 * its base64 JSON (1.33x the file, which Octokit fails to parse past a few MiB on Node 20).
 */
async function readBlob(github: GitHub, repo: RepoRef, sha: string, size: number): Promise<Buffer> {
  const { data } = await github.rest.git.getBlob({
    ...repo,
    file_sha: sha,
    mediaType: { format: "raw" },
    request: { parseSuccessResponseBody: false },
  });
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  for await (const chunk of data as unknown as AsyncIterable<Uint8Array>) {
    if (at + chunk.length > size)
      throw new Error(`blob ${sha} is larger than the ${size} bytes its tree entry says`);
    bytes.set(chunk, at);
    at += chunk.length;
  }
  if (at !== size) throw new Error(`blob ${sha} is ${at} bytes, its tree entry says ${size}`);
  return bytes;
}
