import { createHash, generateKeyPairSync } from "node:crypto";
import examples from "@octokit/webhooks-examples";
import nock from "nock";
import { afterEach, beforeEach } from "vitest";
import { Probot } from "probot";
import loragate, { workOf } from "../../src/app/index.ts";
import { LoragateOctokit } from "../../src/app/octokit.ts";

export const REPO = "Codertocat/Hello-World";
export const API = "https://api.github.com";
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

/**
 * A Probot with the loragate app loaded. By default retries and throttling are off, as tests want;
 * `resilient` keeps Probot's retry (with a 1 ms base delay) and throttling, as in production.
 */
export async function makeProbot(secret = "test-secret", resilient = false): Promise<Probot> {
  // Probot adds its own options to each instance; a function of them is applied last, so these win.
  const overrides = resilient
    ? { retry: { retryAfterBaseValue: 1 } }
    : { retry: { enabled: false }, throttle: { enabled: false } };
  const probot = new Probot({
    appId: 1,
    privateKey,
    secret,
    logLevel: "fatal",
    Octokit: LoragateOctokit.defaults((options: object) => ({ ...options, ...overrides })),
  });
  await probot.load((app: Probot) => loragate(app, { reconcile: false })); // tests run it themselves
  // The app answers a delivery before its work runs: a test's delivery resolves once that work is
  // done, and rejects with what failed, as an awaited handler would.
  const receive = probot.receive.bind(probot);
  probot.receive = async (event) => {
    await receive(event);
    const failures = await workOf(probot)!.idle();
    if (failures.length > 0) throw new AggregateError(failures, (failures[0] as Error).message);
  };
  return probot;
}

export interface PullRequestPayload {
  action: string;
  number: number;
  pull_request: {
    number: number;
    head: { sha: string };
    base: { sha: string };
    author_association: string;
    merged?: boolean;
  };
  installation?: { id: number };
  [key: string]: unknown;
}

/** A real example payload of @octokit/webhooks-examples, for one event and action, installed. */
function examplePayload(event: string, action: string): Record<string, unknown> {
  const sections = examples as unknown as { name: string; examples: Record<string, unknown>[] }[];
  const payload = structuredClone(
    sections.find((e) => e.name === event)!.examples.find((e) => e.action === action)!,
  );
  payload.installation = { id: 1 };
  return payload;
}

export function pullRequestPayload(action: string): PullRequestPayload {
  return examplePayload("pull_request", action) as unknown as PullRequestPayload;
}

/** The pull_request.closed delivery of PR `number`, merged at `head` into the repository's `branch`. */
export function mergedPayload(number: number, head: string, branch: string): PullRequestPayload {
  const closed = pullRequestPayload("closed");
  Object.assign(closed.pull_request, {
    merged: true,
    number,
    head: { ...closed.pull_request.head, sha: head },
  });
  (closed.pull_request as unknown as { base: { ref: string } }).base.ref = branch;
  closed.number = number;
  closed.repository = { ...(closed.repository as object), default_branch: branch };
  return closed;
}

export interface WorkflowRunPayload {
  workflow_run: {
    id: number;
    display_title?: string;
    path?: string;
    conclusion: string | null;
    head_branch: string;
    html_url: string;
  };
  repository: { default_branch: string; full_name: string };
  [key: string]: unknown;
}

/** The workflow_run.completed example, as a run of the registry's loragate.yml for a PR head. */
export function workflowRunPayload(correlationId: string, conclusion: string): WorkflowRunPayload {
  const payload = examplePayload("workflow_run", "completed") as unknown as WorkflowRunPayload;
  Object.assign(payload.workflow_run, {
    display_title: `loragate ${correlationId}`,
    path: ".github/workflows/loragate.yml",
    conclusion,
  });
  return payload;
}

export interface CommentPayload {
  issue: { number: number; pull_request?: object };
  comment: { body: string; user: { login: string; type: string } };
  repository: { default_branch: string };
  [key: string]: unknown;
}

/** The issue_comment.created example, as a comment on pull request #1. */
export function commentPayload(body: string, login = "Codertocat"): CommentPayload {
  const payload = examplePayload("issue_comment", "created") as unknown as CommentPayload;
  payload.issue.pull_request = { url: `${API}/repos/${REPO}/pulls/1` };
  payload.comment.body = body;
  payload.comment.user.login = login;
  return payload;
}

export type Tree = Map<string, Buffer | { symlink: string }>;

export const blobSha = (data: Buffer) =>
  createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");

/** nock answers for a git tree at a sha and every blob in it; returns the blob shas. */
export function mockTree(scope: nock.Scope, sha: string, tree: Tree): void {
  const entries = [...tree].map(([path, data]) =>
    Buffer.isBuffer(data)
      ? { path, mode: "100644", type: "blob", sha: blobSha(data), size: data.length }
      : {
          path,
          mode: "120000",
          type: "blob",
          sha: blobSha(Buffer.from(data.symlink)),
          size: data.symlink.length,
        },
  );
  scope
    .get(`/repos/${REPO}/git/trees/${sha}`)
    .query({ recursive: "true" })
    .reply(200, { sha, truncated: false, tree: entries });
  for (const [, data] of tree) {
    if (!Buffer.isBuffer(data)) continue;
    scope
      .get(`/repos/${REPO}/git/blobs/${blobSha(data)}`)
      .optionally()
      .reply(function () {
        // raw bytes when asked for them (as GitHub answers Accept: application/vnd.github.raw)
        return /\.raw/.test(String(this.req.headers.accept))
          ? [200, data, { "content-type": "application/vnd.github.raw" }]
          : [
              200,
              { sha: blobSha(data), encoding: "base64", content: data.toString("base64"), size: data.length },
            ];
      });
  }
}

/** The evaluate workflow's runs, none yet (looked at before a dispatch, and after one whose answer was lost). */
export function mockNoRuns(scope: nock.Scope, times = 1): void {
  scope
    .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
    .query(true)
    .times(times)
    .reply(200, { total_count: 0, workflow_runs: [] });
}

export function mockToken(scope: nock.Scope): void {
  scope.post("/app/installations/1/access_tokens").reply(200, {
    token: "test-token",
    permissions: { checks: "write", contents: "read", pull_requests: "read" },
  });
}

/** The fixture registry split as a PR sees it: the base commit holds all but the adapter the PR adds. */
export function baseTree(fixture: Tree, adapter: string): Tree {
  return new Map([...fixture].filter(([path]) => !path.startsWith(`adapters/${adapter}/`)));
}
/** The head commit's adapter folder. */
export function adapterTree(fixture: Tree, adapter: string): Tree {
  return new Map([...fixture].filter(([path]) => path.startsWith(`adapters/${adapter}/`)));
}

/**
 * What the GPU action reads of PR `pr`: the PR (head `currentHead`), its files, and the registry at
 * the base and head shas, where the head adds adapters/<adapter>/ (`head`, the fixture's by default).
 */
export function mockActionPullRequest(params: {
  fixture: Tree;
  adapter: string;
  pr: number;
  baseSha: string;
  headSha: string;
  currentHead?: string;
  head?: Tree;
}): nock.Scope {
  const { fixture, adapter, pr, baseSha, headSha } = params;
  const currentHead = params.currentHead ?? headSha;
  const scope = nock(API);
  scope
    .get(`/repos/${REPO}/pulls/${pr}`)
    .reply(200, { number: pr, head: { sha: currentHead }, base: { sha: baseSha } });
  if (currentHead !== headSha) return scope;
  scope
    .get(`/repos/${REPO}/pulls/${pr}/files`)
    .query({ per_page: 100 })
    .reply(200, [{ filename: `adapters/${adapter}/adapter.yaml`, status: "added" }]);
  mockTree(scope, baseSha, baseTree(fixture, adapter));
  mockTree(scope, headSha, params.head ?? adapterTree(fixture, adapter));
  return scope;
}

/** Every test of the file talks only to nock; nothing is left mocked for the next one. */
export function useNock(): void {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}
