import { readFileSync } from "node:fs";
import { join } from "node:path";
import examples from "@octokit/webhooks-examples";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { OVERLAP_MEANING, PROPOSAL_FIELDS } from "../src/core/review/proposal.ts";
import { PROPOSAL_MARKER } from "../src/app/review-proposal.ts";
import { API, commentPayload, makeProbot, mockToken, REPO, useNock } from "./support/github.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

useNock();

const form = (domain: string, extra = "") =>
  Object.values(PROPOSAL_FIELDS)
    .map((label) => {
      const answers: Record<string, string> = {
        Domain: domain,
        Description: `Arithmetic word problems for school, solved step by step. ${extra}`,
        "Why the base model underperforms": "It loses track of intermediate quantities.",
        "Example queries":
          "- How many apples are left?\n- What is the total cost?\n- How far does the train go?",
        "Planned data sources": "GSM8K train split (MIT)",
        Scope: "In: arithmetic. Out: proofs.",
        "Estimated training set size": "800",
        "Router keywords": "solve, how many",
      };
      return `### ${label}\n\n${answers[label]}\n`;
    })
    .join("\n");

function issuePayload(body: string, action: "opened" | "edited" | "labeled" = "opened") {
  const sections = examples as unknown as { name: string; examples: Record<string, unknown>[] }[];
  const payload = structuredClone(
    sections.find((e) => e.name === "issues")!.examples.find((e) => e.action === action)!,
  ) as {
    issue: { number: number; title: string; body: string; labels: { name: string }[] };
    label?: { name: string };
    installation?: object;
  };
  payload.installation = { id: 1 };
  payload.issue.title = "[adapter-proposal] math word problems";
  payload.issue.body = body;
  payload.issue.number = 1;
  payload.issue.labels = [];
  return payload;
}

function mockReview(
  scope: nock.Scope,
  sent: { comment?: string; labels?: string[] },
  existing: object[] = [],
  overlap = true,
): void {
  mockToken(scope);
  scope.get(`/repos/${REPO}/contents/.github%2Floragate.yml`).query({ ref: "master" }).reply(404, {});
  if (overlap) mockOverlapSources(scope);
  scope.get(`/repos/${REPO}/issues/1/comments`).query({ per_page: 100 }).reply(200, existing);
  if (existing.length === 0)
    scope
      .post(`/repos/${REPO}/issues/1/comments`, (body) => ((sent.comment = body.body), true))
      .reply(201, {});
  scope.post(`/repos/${REPO}/issues/1/labels`, (body) => ((sent.labels = body.labels), true)).reply(200, []);
}

/** The registry's adapters and the other open proposals, read for the overlap report. */
function mockOverlapSources(scope: nock.Scope): void {
  scope
    .get(`/repos/${REPO}/contents/registry.yaml`)
    .query({ ref: "master" })
    .reply(200, {
      type: "file",
      encoding: "base64",
      content: readFileSync(join(FIXTURE_ROOT, "registry.yaml")).toString("base64"),
    });
  scope
    .get(`/repos/${REPO}/issues`)
    .query({ state: "open", labels: "adapter-proposal", per_page: 100 })
    .reply(200, [{ number: 9, body: form("math-competition"), labels: [{ name: "adapter-proposal" }] }]);
}

describe("adapter-proposal issues", () => {
  it("answers a complete form with one sticky comment, the overlap with open proposals, and ready-for-review", async () => {
    const sent: { comment?: string; labels?: string[] } = {};
    const scope = nock(API);
    mockReview(scope, sent);
    await (
      await makeProbot()
    ).receive({ id: "p1", name: "issues", payload: issuePayload(form("math")) } as never);
    expect(scope.pendingMocks()).toEqual([]);
    expect(sent.labels).toEqual(["ready-for-review"]);
    expect(sent.comment!.startsWith(PROPOSAL_MARKER)).toBe(true);
    // the same domain's parts (math in math-competition), most of the words: close, but not the same one
    expect(sent.comment).toMatch(/\| proposal #9 \| 0\.[5-9]\d \(domain names 1\.00, words 0\.\d\d\) \|/);
    expect(sent.comment).toContain(`Similarity: ${OVERLAP_MEANING}.`);
  });

  it("asks for what is missing (needs-info), and neutralizes markers, mentions and images in the answers", async () => {
    const sent: { comment?: string; labels?: string[] } = {};
    const scope = nock(API);
    mockReview(scope, sent);
    const hostile = form(`${PROPOSAL_MARKER} @octocat ![x](http://e/x.png)`);
    await (await makeProbot()).receive({ id: "p2", name: "issues", payload: issuePayload(hostile) } as never);
    expect(sent.labels).toEqual(["needs-info"]);
    expect(sent.comment!.split(PROPOSAL_MARKER)).toHaveLength(2);
    expect(sent.comment).not.toMatch(/@octocat|!\[x\]/);
  });

  it("approve-proposal by a writer labels it approved", async () => {
    const payload = commentPayload("/loragate approve-proposal");
    delete payload.issue.pull_request;
    (payload.issue as { title?: string }).title = "[adapter-proposal] math";
    const sent: { labels?: string[]; reply?: string } = {};
    const scope = nock(API);
    mockToken(scope);
    scope.get(`/repos/${REPO}/collaborators/Codertocat/permission`).reply(200, { permission: "write" });
    scope
      .post(`/repos/${REPO}/issues/1/labels`, (body) => ((sent.labels = body.labels), true))
      .reply(200, []);
    scope.delete(`/repos/${REPO}/issues/1/labels/needs-info`).reply(404, { message: "Label does not exist" });
    scope.delete(`/repos/${REPO}/issues/1/labels/ready-for-review`).reply(200, []);
    scope.post(`/repos/${REPO}/issues/1/comments`, (body) => ((sent.reply = body.body), true)).reply(201, {});
    await (await makeProbot()).receive({ id: "p3", name: "issue_comment", payload } as never);
    expect(scope.pendingMocks()).toEqual([]);
    expect(sent.labels).toEqual(["approved"]);
    expect(sent.reply).toContain("Proposal: #1");
  });

  it("an edited body updates the same sticky comment and swaps needs-info for ready-for-review", async () => {
    const sent: { comment?: string; labels?: string[]; removed?: boolean } = {};
    const scope = nock(API);
    const ours = {
      id: 77,
      body: `${PROPOSAL_MARKER}\nold answer`,
      user: { type: "Bot" },
      performed_via_github_app: { id: 1 },
    };
    const impostor = { id: 78, body: `${PROPOSAL_MARKER}\nfake`, user: { type: "User" } };
    mockReview(scope, sent, [impostor, ours]);
    scope
      .patch(`/repos/${REPO}/issues/comments/77`, (body) => ((sent.comment = body.body), true))
      .reply(200, {});
    scope.delete(`/repos/${REPO}/issues/1/labels/needs-info`).reply(200, []);
    const payload = issuePayload(form("math"), "edited");
    payload.issue.labels = [{ name: "needs-info" }];
    await (await makeProbot()).receive({ id: "p4", name: "issues", payload } as never);
    expect(scope.pendingMocks()).toEqual([]);
    expect(sent.labels).toEqual(["ready-for-review"]);
    expect(sent.comment).toContain("Every section is there");
  });

  it("a 60k-character body that is not a form gets one short comment that says to use the form", async () => {
    const sent: { comment?: string; labels?: string[] } = {};
    const scope = nock(API);
    mockReview(scope, sent, [], false);
    const payload = issuePayload(`I want a math adapter please! ${"x".repeat(60_000)}`);
    await (await makeProbot()).receive({ id: "p5", name: "issues", payload } as never);
    expect(scope.pendingMocks()).toEqual([]);
    expect(sent.labels).toEqual(["needs-info"]);
    expect(sent.comment).toContain("not an adapter-proposal form");
    expect(sent.comment!.length).toBeLessThan(10_000);
  });

  it("the approved label added by hand clears the pending state labels", async () => {
    const scope = nock(API);
    mockToken(scope);
    const removed: string[] = [];
    for (const name of ["needs-info", "ready-for-review"])
      scope
        .delete(`/repos/${REPO}/issues/1/labels/${name}`)
        .reply(() => (removed.push(name), name === "needs-info" ? [404, {}] : [200, []]));
    const payload = issuePayload(form("math"), "labeled");
    payload.label = { name: "approved" };
    await (await makeProbot()).receive({ id: "p6", name: "issues", payload } as never);
    expect(scope.pendingMocks()).toEqual([]);
    expect(removed).toEqual(["needs-info", "ready-for-review"]);
  });
});
