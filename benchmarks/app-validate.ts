/**
 * Webhook received -> `loragate/validate` completed, for a PR adding an adapter with 5,000 training
 * examples and a 200-item benchmark, GitHub answered locally by nock with no latency. Anchor, in the
 * same run: the core alone (`checkRegistry`) on the same files in memory.
 */
import { createHash } from "node:crypto";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { wordProblems } from "../fixtures/contamination-corpus.ts";
import { MATH_TRAIN_TEMPLATES, mulberry32, uniquePairs } from "../fixtures/data.ts";
import { validatePullRequest } from "../src/app/validate-pull-request.ts";
import { checkRegistry } from "../src/core/check.ts";
import { MemoryRegistrySource } from "../src/io/memory-source.ts";
import { readTree } from "../test/support/registry.ts";
import { join } from "node:path";

const REPO = { owner: "loragate", repo: "registry" };
const API = "https://api.github.com";
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const sha1 = (data: Buffer) => createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");

function adapterFiles(): Map<string, Buffer> {
  const rng = mulberry32(5000);
  const manifest = (text: string) => text.replace("name: math-gsm8k", "name: bench-5k");
  const fixture = readTree(join(import.meta.dirname, "..", "fixtures", "registry"));
  const files = new Map<string, Buffer>();
  files.set(
    "adapters/bench-5k/adapter.yaml",
    Buffer.from(manifest(String(fixture.get("adapters/math-gsm8k/adapter.yaml")))),
  );
  files.set("adapters/bench-5k/TRAINING_LOG.md", Buffer.from("# Training log\n"));
  files.set(
    "adapters/bench-5k/training/dataset.jsonl",
    Buffer.from(
      `${uniquePairs(rng, MATH_TRAIN_TEMPLATES, 5000)
        .map((p) => JSON.stringify(p))
        .join("\n")}\n`,
    ),
  );
  const items = wordProblems(77, 200).map((p, i) =>
    JSON.stringify({
      id: `b-${i + 1}`,
      instruction: p.instruction,
      input: p.input,
      expected_output: p.output,
      difficulty: "medium",
    }),
  );
  files.set("adapters/bench-5k/eval/benchmark.jsonl", Buffer.from(`${items.join("\n")}\n`));
  return files;
}

function mockGitHub(base: Map<string, Buffer>, head: Map<string, Buffer>): void {
  const scope = nock(API).persist();
  const tree = (files: Map<string, Buffer>) =>
    [...files].map(([path, data]) => ({
      path,
      mode: "100644",
      type: "blob",
      sha: sha1(data),
      size: data.length,
    }));
  scope.get(/\/check-runs\?/).reply(200, { total_count: 0, check_runs: [] });
  scope.post(`/repos/${REPO.owner}/${REPO.repo}/check-runs`).reply(201, { id: 1 });
  scope.patch(`/repos/${REPO.owner}/${REPO.repo}/check-runs/1`).reply(200, { id: 1 });
  scope.get(/\/issues\/42$/).reply(200, { number: 42, labels: [{ name: "approved" }] });
  scope.get(/\/pulls\/1\/files/).reply(
    200,
    [...head.keys()].map((filename) => ({ filename, status: "added" })),
  );
  scope.get(new RegExp(`/git/trees/${BASE}`)).reply(200, { truncated: false, tree: tree(base) });
  scope.get(new RegExp(`/git/trees/${HEAD}`)).reply(200, { truncated: false, tree: tree(head) });
  const blobs = new Map([...base, ...head].map(([, data]) => [sha1(data), data]));
  // raw bytes, as GitHub answers the app's Accept: application/vnd.github.raw
  scope.get(/\/git\/blobs\/[0-9a-f]+$/).reply(function (uri) {
    return [200, blobs.get(uri.split("/").pop()!)!, { "content-type": "application/vnd.github.raw" }];
  });
}

export async function benchAppValidate(): Promise<Record<string, unknown>> {
  const fixture = readTree(join(import.meta.dirname, "..", "fixtures", "registry"));
  const base = new Map(
    [...fixture].filter(
      ([path, data]) =>
        Buffer.isBuffer(data) &&
        (path === "registry.yaml" ||
          path.startsWith("benchmarks/") ||
          path.startsWith(".github/") ||
          /^adapters\/[^/]+\/(adapter\.yaml|eval\/benchmark\.jsonl)$/.test(path)),
    ) as [string, Buffer][],
  );
  const head = adapterFiles();
  nock.disableNetConnect();
  mockGitHub(base, head);
  const github = new Octokit({ auth: "token", request: { retries: 0 } });
  const runs: { total: number; timings: Record<string, number> }[] = [];
  for (let i = 0; i < 4; i++) {
    const timings: Record<string, number> = {};
    const start = performance.now();
    const outcome = await validatePullRequest({
      github,
      repo: REPO,
      pullNumber: 1,
      headSha: HEAD,
      baseSha: BASE,
      onPhase: (phase, ms) => (timings[phase] = (timings[phase] ?? 0) + ms),
    });
    runs.push({ total: performance.now() - start, timings });
    if (outcome.conclusion !== "success")
      throw new Error(`the benchmark PR should validate: ${outcome.findings[0]?.message}`);
  }
  nock.cleanAll();
  nock.enableNetConnect();
  const source = new MemoryRegistrySource();
  for (const [path, data] of [...base, ...head]) source.set(path, data);
  // the anchor warm too: the median of three (its first run compiles what the app's runs already did)
  const anchors: number[] = [];
  for (let i = 0; i < 3; i++) {
    const anchorStart = performance.now();
    await checkRegistry({ source, adapter: "bench-5k" });
    anchors.push(performance.now() - anchorStart);
  }
  const anchor = anchors.sort((a, b) => a - b)[1]!;
  const first = runs[0]!;
  const warm = runs.slice(1).sort((a, b) => a.total - b.total)[1]!;
  const fmt = (r: { total: number; timings: Record<string, number> }) =>
    `${(r.total / 1000).toFixed(2)} s (${Object.entries(r.timings)
      .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
      .join(", ")})`;
  console.log(
    `webhook -> loragate/validate, 5,000 examples + 200 items: first ${fmt(first)}; warm median ${fmt(warm)} (goal < 2 s)`,
  );
  console.log(
    `anchor: the core alone on the same files ${(anchor / 1000).toFixed(2)} s; GitHub layer overhead x${(warm.total / anchor).toFixed(2)}`,
  );
  return { first, warm, anchor_core_ms: anchor, ratio_app_vs_core: warm.total / anchor };
}
