import { readFileSync } from "node:fs";
import { join } from "node:path";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { parseCommand } from "../src/core/review/commands.ts";
import { API, commentPayload, makeProbot, mockNoRuns, mockToken, REPO, useNock } from "./support/github.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

const HEAD = "a".repeat(40);
const CORRELATION = `pr1-${HEAD.slice(0, 12)}`;

useNock();

/** GitHub's answer for a role: the legacy `permission` says write for maintain and read for triage. */
const LEGACY: Record<string, string> = {
  read: "read",
  triage: "read",
  write: "write",
  maintain: "write",
  admin: "admin",
};
function mockCommenter(scope: nock.Scope, role: string): void {
  scope
    .get(`/repos/${REPO}/collaborators/Codertocat/permission`)
    .reply(200, { permission: LEGACY[role], role_name: role });
}
function captureReply(scope: nock.Scope, replies: string[]): void {
  scope.get(`/repos/${REPO}/issues/1/comments`).query(true).reply(200, []); // not answered before
  scope
    .post(
      `/repos/${REPO}/issues/1/comments`,
      (body) => (replies.push(body.body.replace(/^<!-- loragate:command [\w-]+ -->\n/, "")), true),
    )
    .reply(201, { id: 1 });
}
/** The comment of commentPayload() was written at 2019-05-15T15:20:21Z. */
const BEFORE_COMMENT = "2019-05-15T15:00:00Z";
const AFTER_COMMENT = "2019-05-15T15:30:00Z";
function mockValidation(
  scope: nock.Scope,
  run: { conclusion: string; started_at: string } | undefined,
): void {
  scope
    .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
    .query({ check_name: "loragate/validate", filter: "latest", app_id: "1" })
    .reply(200, {
      total_count: run ? 1 : 0,
      check_runs: run ? [{ id: 3, status: "completed", external_id: `validate:${HEAD}`, ...run }] : [],
    });
}

/** PR 1 at HEAD, from a first-time contributor: the case that waits for `/loragate approve`. */
function mockFirstTimePullRequest(scope: nock.Scope): void {
  scope.get(`/repos/${REPO}/pulls/1`).reply(200, {
    number: 1,
    head: { sha: HEAD },
    base: { sha: "b".repeat(40) },
    author_association: "FIRST_TIME_CONTRIBUTOR",
  });
}

/** The default branch's registry.yaml, pinned as the fixture pins it, or with its pins taken out. */
const REGISTRY = readFileSync(join(FIXTURE_ROOT, "registry.yaml"), "utf8");
const UNPINNED = REGISTRY.replace(/\n {4}revision: .*\n/, "\n").replace(
  /\n {4}sha256: [0-9a-f]{64}\n {4}quantization/,
  "\n    quantization",
);
function mockRegistry(scope: nock.Scope, text: string): void {
  scope
    .get(`/repos/${REPO}/contents/registry.yaml`)
    .query({ ref: "master" })
    .reply(200, { type: "file", content: Buffer.from(text).toString("base64") });
}

/** A maintainer's `/loragate approve` of a validated first-time PR, up to the registry read. */
function mockApprovalOfValidatedHead(scope: nock.Scope): void {
  mockToken(scope);
  mockCommenter(scope, "write");
  mockFirstTimePullRequest(scope);
  mockValidation(scope, { conclusion: "success", started_at: BEFORE_COMMENT });
  scope.get(`/repos/${REPO}/contents/.github%2Floragate.yml`).query({ ref: "master" }).reply(404, {});
  scope
    .get(`/repos/${REPO}/pulls/1/files`)
    .query({ per_page: 100 })
    .reply(200, [{ filename: "adapters/math-gsm8k/adapter.yaml" }]);
}

const receive = async (body: string) =>
  (await makeProbot()).receive({ id: "c", name: "issue_comment", payload: commentPayload(body) } as never);

describe("parseCommand", () => {
  it.each([
    ["/loragate help", { name: "help" }],
    ["/loragate", { name: "help" }],
    ["  /loragate RETRAIN\nthanks", { name: "retrain" }],
    [
      "/loragate override benchmark item 12 is wrong",
      { name: "override", reason: "benchmark item 12 is wrong" },
    ],
    ["/loragate frobnicate", { name: "unknown", word: "frobnicate" }],
    ["/loragate approve-proposal", { name: "approve-proposal" }],
    ["please /loragate approve", undefined],
    ["/loragate approve ABCDEF1", { name: "approve", sha: "abcdef1" }],
    ["/loragate approve", { name: "approve" }],
    ["lgtm", undefined],
  ])("%j", (body, command) => expect(parseCommand(body)).toEqual(command));
});

describe("issue_comment /loragate commands", () => {
  it("answers help without asking for permissions", async () => {
    const replies: string[] = [];
    const scope = nock(API);
    mockToken(scope);
    captureReply(scope, replies);
    await receive("/loragate help");
    expect(scope.isDone()).toBe(true);
    expect(replies[0]).toContain("/loragate override <reason>");
  });

  it("refuses approve from a read-only commenter, and runs nothing", async () => {
    const replies: string[] = [];
    const scope = nock(API);
    mockToken(scope);
    mockCommenter(scope, "read");
    captureReply(scope, replies);
    await receive("/loragate approve");
    expect(scope.isDone()).toBe(true);
    expect(replies).toEqual(["`/loragate approve` needs write access to this repository; it was not run."]);
  });

  it.each([
    [
      "another commit named",
      "/loragate approve 1234567",
      { conclusion: "success", started_at: BEFORE_COMMENT },
      /names 1234567, but the pull request's head is/,
    ],
    [
      "a push after the comment",
      "/loragate approve",
      { conclusion: "success", started_at: AFTER_COMMENT },
      /moved to .* after this approval was written: look at it and comment `\/loragate approve [0-9a-f]{12}`/,
    ],
    [
      "a head that failed validation",
      "/loragate approve",
      { conclusion: "failure", started_at: BEFORE_COMMENT },
      /did not pass validation \(failure\); there is nothing to approve/,
    ],
    ["a head not validated yet", "/loragate approve", undefined, /has not finished validation/],
  ])("approve does nothing for %s, and says why", async (_what, body, validation, reason) => {
    const replies: string[] = [];
    const scope = nock(API);
    mockToken(scope);
    mockCommenter(scope, "write");
    mockFirstTimePullRequest(scope);
    if (!body.includes("1234567")) mockValidation(scope, validation);
    captureReply(scope, replies);
    await receive(body);
    expect(scope.isDone()).toBe(true); // and nothing was dispatched: no such request was mocked
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(reason);
  });

  it("approve by a maintainer re-queues the waiting evaluate check and dispatches the head commit", async () => {
    const replies: string[] = [];
    let dispatched: unknown;
    const scope = nock(API);
    mockApprovalOfValidatedHead(scope);
    mockRegistry(scope, REGISTRY);
    scope
      .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
      .query({ check_name: "loragate/evaluate", filter: "latest", app_id: "1" })
      .reply(200, {
        total_count: 1,
        check_runs: [
          {
            id: 8,
            status: "completed",
            conclusion: "action_required",
            external_id: `evaluate:${CORRELATION}`,
          },
        ],
      });
    scope.patch(`/repos/${REPO}/check-runs/8`, (body) => body.status === "queued").reply(200, { id: 8 });
    mockNoRuns(scope);
    scope
      .post(`/repos/${REPO}/actions/workflows/loragate.yml/dispatches`, (body) => ((dispatched = body), true))
      .reply(204);
    captureReply(scope, replies);
    await receive("/loragate approve");
    expect(scope.pendingMocks()).toEqual([]);
    expect(dispatched).toEqual({
      ref: "master",
      inputs: { pr: "1", head_sha: HEAD, adapter: "math-gsm8k", correlation_id: CORRELATION },
    });
    expect(replies).toEqual([`Training and evaluation of ${HEAD} are queued on the GPU runners.`]);
  });

  it("approve on a registry whose base is not pinned yet: nothing is dispatched, and the reply says which pins", async () => {
    const replies: string[] = [];
    const scope = nock(API);
    mockApprovalOfValidatedHead(scope);
    mockRegistry(scope, UNPINNED);
    captureReply(scope, replies);
    await receive("/loragate approve");
    expect(scope.pendingMocks()).toEqual([]); // no evaluate check, no dispatch
    expect(replies).toEqual([
      "Nothing was sent to the GPU runners: registry.yaml does not pin base.training.revision, base.inference.sha256 yet. A maintainer pins the base there first.",
    ]);
  });

  it.each(["read", "triage", "write"])(
    "override is refused for the %s role, saying what it needs",
    async (role) => {
      const denied: string[] = [];
      const scope = nock(API);
      mockToken(scope);
      mockCommenter(scope, role);
      captureReply(scope, denied);
      await receive("/loragate override the hidden suite is being rebuilt");
      expect(scope.isDone()).toBe(true);
      expect(denied).toEqual([
        "`/loragate override` needs maintain or admin access to this repository; it was not run.",
      ]);
    },
  );

  it("override needs maintain: write is refused; maintain passes the bar with the reason recorded, merge record kept", async () => {
    const denied: string[] = [];
    let scope = nock(API);
    mockToken(scope);
    mockCommenter(scope, "write");
    captureReply(scope, denied);
    await receive("/loragate override the hidden suite is being rebuilt");
    expect(scope.isDone()).toBe(true);
    expect(denied[0]).toContain("needs maintain or admin access");

    const replies: string[] = [];
    let update: { conclusion?: string; output?: { summary: string; text?: string } } = {};
    scope = nock(API);
    mockToken(scope);
    mockCommenter(scope, "maintain");
    scope.get(`/repos/${REPO}/pulls/1`).reply(200, {
      number: 1,
      head: { sha: HEAD },
      base: { sha: "b".repeat(40) },
      author_association: "OWNER",
    });
    scope
      .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
      .query({ check_name: "loragate/bar", filter: "latest", app_id: "1" })
      .reply(200, {
        total_count: 1,
        check_runs: [
          {
            id: 9,
            status: "completed",
            conclusion: "failure",
            output: { summary: "- domain: +1.0 pts ✗", text: "<!-- loragate:merge-record eyJ9 -->" },
          },
        ],
      });
    scope.patch(`/repos/${REPO}/check-runs/9`, (body) => ((update = body), true)).reply(200, { id: 9 });
    captureReply(scope, replies);
    await receive("/loragate override the hidden suite is being rebuilt @octocat");
    expect(scope.isDone()).toBe(true);
    expect(update.conclusion).toBe("success");
    expect(update.output!.summary).toContain(
      "override by @Codertocat: the hidden suite is being rebuilt @\u200boctocat",
    );
    expect(update.output!.text).toBe("<!-- loragate:merge-record eyJ9 -->");
  });
});

describe("the Retrain button (check_run.requested_action)", () => {
  it("is a /loragate retrain by whoever pressed it: permission checked, refused for read access", async () => {
    const examples = (await import("@octokit/webhooks-examples")).default as unknown as {
      name: string;
      examples: Record<string, unknown>[];
    }[];
    const payload = structuredClone(
      examples.find((e) => e.name === "check_run")!.examples.find((e) => e.action === "requested_action")!,
    ) as {
      installation?: object;
      requested_action?: object;
      repository: { full_name: string };
      sender: { login: string };
    };
    payload.installation = { id: 1 };
    payload.requested_action = { identifier: "retrain" };
    const [owner, repo] = payload.repository.full_name.split("/");
    const replies: string[] = [];
    const scope = nock(API);
    mockToken(scope);
    scope
      .get(`/repos/${owner}/${repo}/collaborators/${payload.sender.login}/permission`)
      .reply(200, { permission: "read" });
    scope.get(`/repos/${owner}/${repo}/issues/26764/comments`).query(true).reply(200, []);
    scope
      .post(`/repos/${owner}/${repo}/issues/26764/comments`, (body) => (replies.push(body.body), true))
      .reply(201, {});
    await (await makeProbot()).receive({ id: "b1", name: "check_run", payload } as never);
    expect(scope.isDone()).toBe(true);
    // answered with the delivery's marker: a redelivery of the press is not run again
    expect(replies).toEqual([
      "<!-- loragate:command b1 -->\n`/loragate retrain` needs write access to this repository; it was not run.",
    ]);
  });
});
