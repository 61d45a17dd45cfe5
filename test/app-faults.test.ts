import nock from "nock";
import { describe, expect, it } from "vitest";
import {
  API,
  makeProbot,
  mockToken,
  mockTree,
  pullRequestPayload,
  REPO,
  type Tree,
  useNock,
  adapterTree,
  baseTree,
} from "./support/github.ts";
import { FIXTURE_ROOT, readTree } from "./support/registry.ts";
import { GITHUB_RETRIES } from "../src/github/write-once.ts";
import { scaled } from "./support/load.ts";

const fixture = readTree(FIXTURE_ROOT) as Tree;
const payload = pullRequestPayload("opened");
(payload.pull_request as { draft?: boolean }).draft = true; // validation only: no GPU request in these tests
const HEAD = payload.pull_request.head.sha;
const BASE = payload.pull_request.base.sha;
const head = adapterTree(fixture, "math-gsm8k");
const base = baseTree(fixture, "math-gsm8k");

useNock();

/** The validate flow where GitHub first answers listFiles with `fault`, then normally. */
async function validateThrough(fault: (scope: nock.Scope) => void) {
  const updates: { conclusion?: string }[] = [];
  const scope = nock(API);
  mockToken(scope);
  scope
    .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
    .query(true)
    .reply(200, { total_count: 0, check_runs: [] });
  scope.post(`/repos/${REPO}/check-runs`).reply(201, { id: 7 });
  fault(scope);
  scope
    .get(`/repos/${REPO}/pulls/2/files`)
    .query({ per_page: 100 })
    .reply(
      200,
      [...head.keys()].map((filename) => ({ filename, status: "added" })),
    );
  mockTree(scope, BASE, base);
  mockTree(scope, HEAD, head);
  scope.get(`/repos/${REPO}/issues/42`).reply(200, { number: 42, labels: [{ name: "approved" }] });
  scope.patch(`/repos/${REPO}/check-runs/7`, (body) => (updates.push(body), true)).reply(200, {});
  await (await makeProbot("s", true)).receive({ id: "f", name: "pull_request", payload } as never);
  return { scope, updates };
}

describe("faults GitHub throws at the app (Probot's retry and throttling on, as in production)", () => {
  it("500 then 502, then success: retried, the check completes", async () => {
    const { scope, updates } = await validateThrough((s) => {
      s.get(`/repos/${REPO}/pulls/2/files`).query({ per_page: 100 }).reply(500, { message: "Server Error" });
      s.get(`/repos/${REPO}/pulls/2/files`).query({ per_page: 100 }).reply(502, "Bad Gateway");
    });
    expect(scope.pendingMocks().filter((m) => !m.includes("/git/blobs/"))).toEqual([]);
    expect(updates).toEqual([expect.objectContaining({ status: "completed", conclusion: "success" })]);
  });

  it("403 secondary rate limit with retry-after: waited out, the check completes", async () => {
    const { updates } = await validateThrough((s) => {
      s.get(`/repos/${REPO}/pulls/2/files`)
        .query({ per_page: 100 })
        .reply(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "1" });
    });
    expect(updates).toEqual([expect.objectContaining({ status: "completed", conclusion: "success" })]);
  });

  it("a fault that does not go away: the check still completes, as failed, naming the call and the status", async () => {
    const { updates } = await validateThrough((s) => {
      s.get(`/repos/${REPO}/pulls/2/files`)
        .query({ per_page: 100 })
        .times(GITHUB_RETRIES + 1)
        .reply(500, { message: "Server Error" });
    });
    expect(updates).toEqual([
      expect.objectContaining({
        status: "completed",
        conclusion: "failure",
        output: expect.objectContaining({
          title: "loragate could not read this pull request",
          summary: expect.stringContaining(
            `GitHub answered 500 to GET ${API}/repos/${REPO}/pulls/2/files?per_page=100: Server Error`,
          ),
        }),
      }),
    ]);
  });

  it("an outage of the check's updates longer than Probot's 3 retries (14 s) is ridden out: the check passes", async () => {
    const { updates } = await validateThrough((s) => {
      s.patch(`/repos/${REPO}/check-runs/7`).times(4).reply(500, { message: "Server Error" });
    });
    expect(updates).toEqual([expect.objectContaining({ status: "completed", conclusion: "success" })]);
  });

  it("a connection reset, then success: retried, the check completes", async () => {
    const { updates } = await validateThrough((s) => {
      s.get(`/repos/${REPO}/pulls/2/files`)
        .query({ per_page: 100 })
        .replyWithError({ code: "ECONNRESET", message: "socket hang up" });
    });
    expect(updates).toEqual([expect.objectContaining({ status: "completed", conclusion: "success" })]);
  });

  it("an answer that never comes: the request times out and is retried, the check completes", async () => {
    // scaled: on a loaded machine a stalled event loop must not time out the calls that do get answers
    const timeoutMs = scaled(1000);
    process.env.LORAGATE_GITHUB_TIMEOUT_MS = String(timeoutMs);
    try {
      const { updates } = await validateThrough((s) => {
        s.get(`/repos/${REPO}/pulls/2/files`)
          .query({ per_page: 100 })
          .delay(timeoutMs * 10)
          .reply(200, []);
      });
      expect(updates).toEqual([expect.objectContaining({ status: "completed", conclusion: "success" })]);
    } finally {
      delete process.env.LORAGATE_GITHUB_TIMEOUT_MS;
    }
  });

  it("429 with the primary rate limit spent: waited out until the reset, the check completes", async () => {
    const { updates } = await validateThrough((s) => {
      s.get(`/repos/${REPO}/pulls/2/files`)
        .query({ per_page: 100 })
        .reply(
          429,
          { message: "API rate limit exceeded" },
          {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 1),
          },
        );
    });
    expect(updates).toEqual([expect.objectContaining({ status: "completed", conclusion: "success" })]);
  });

  it("a 502 on the check's update (a write): retried, the check completes once", async () => {
    const { scope, updates } = await validateThrough((s) => {
      s.patch(`/repos/${REPO}/check-runs/7`).reply(502, "Bad Gateway");
    });
    expect(scope.pendingMocks().filter((m) => !m.includes("/git/blobs/"))).toEqual([]);
    expect(updates).toEqual([expect.objectContaining({ status: "completed", conclusion: "success" })]);
  });
});
