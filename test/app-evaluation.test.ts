import { zipSync } from "fflate";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import type { Results } from "../src/core/schemas/results.ts";
import { SCORECARD_MARKER } from "../src/core/evaluation/scorecard.ts";
import { upsertStickyComment } from "../src/github/sticky-comment.ts";
import { Octokit } from "@octokit/rest";
import {
  adapterTree,
  API,
  blobSha,
  baseTree,
  makeProbot,
  mockToken,
  mockTree,
  REPO,
  type Tree,
  workflowRunPayload,
  useNock,
} from "./support/github.ts";
import { completeForFixture, FIXTURE_ROOT, readTree } from "./support/registry.ts";

const HEAD = "a".repeat(40); // sampleResults() evaluates this commit
const BASE = "b".repeat(40);
const fixture = readTree(FIXTURE_ROOT) as Tree;
const complete = await completeForFixture(sampleResults());
const CORRELATION = `pr2-${HEAD.slice(0, 12)}`;

interface Sent {
  checks: Record<
    number,
    { status?: string; conclusion?: string; output: { title: string; summary: string } }
  >;
  comment?: string;
  downloaded: boolean;
}

/** GitHub as the app finds it when a run completes: the PR at HEAD, a queued evaluate check, no bar check yet. */
function mockGitHub(
  options: {
    prHead?: string;
    results?: Uint8Array;
    runConclusion?: string;
    complete?: boolean;
    /** The run's artifact list as GitHub answers it; nothing is downloaded from a list given here. */
    artifacts?: object[];
    /** The registry's files (the fixture registry by default). */
    registry?: Tree;
  } = {},
): {
  scope: nock.Scope;
  sent: Sent;
} {
  const sent: Sent = { checks: {}, downloaded: false };
  const scope = nock(API);
  mockToken(scope);
  scope
    .get(`/repos/${REPO}/pulls/2`)
    .reply(200, { number: 2, head: { sha: options.prHead ?? HEAD }, base: { sha: BASE } });
  if ((options.prHead ?? HEAD) !== HEAD) return { scope, sent };
  scope
    .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
    .query({ check_name: "loragate/evaluate", filter: "latest", app_id: "1" })
    .reply(200, {
      total_count: 1,
      check_runs: [{ id: 8, status: "queued", external_id: `evaluate:${CORRELATION}` }],
    });
  scope
    .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
    .query({ check_name: "loragate/bar", filter: "latest", app_id: "1" })
    .reply(200, { total_count: 0, check_runs: [] });
  scope.post(`/repos/${REPO}/check-runs`).reply(201, { id: 9 });
  for (const id of [8, 9]) {
    scope
      .patch(`/repos/${REPO}/check-runs/${id}`, (body) => ((sent.checks[id] = body), true))
      .reply(200, { id });
  }
  if (options.runConclusion && options.runConclusion !== "success") return { scope, sent };
  if (options.artifacts) {
    scope
      .get(`/repos/${REPO}/actions/runs/1589141559/artifacts`)
      .query({ per_page: 100 })
      .reply(200, { total_count: options.artifacts.length, artifacts: options.artifacts });
    return { scope, sent };
  }
  const zip = zipSync({
    "results.json": options.results ?? Buffer.from(JSON.stringify(complete)),
    "adapter.gguf": new Uint8Array(10),
  });
  scope
    .get(`/repos/${REPO}/actions/runs/1589141559/artifacts`)
    .query({ per_page: 100 })
    .reply(200, {
      total_count: 1,
      artifacts: [{ id: 5, name: "loragate-results", size_in_bytes: zip.length, expired: false }],
    });
  scope
    .get(`/repos/${REPO}/actions/artifacts/5/zip`)
    .reply(200, () => ((sent.downloaded = true), Buffer.from(zip)), { "content-type": "application/zip" });
  if (options.results && !options.complete) return { scope, sent }; // refused before the bar
  scope
    .get(`/repos/${REPO}/contents/.github%2Floragate.yml`)
    .query({ ref: "main" })
    .reply(404, { message: "Not Found" });
  // the PR as the gate reads it, to know what complete results hold
  scope
    .get(`/repos/${REPO}/pulls/2/files`)
    .query({ per_page: 100 })
    .reply(200, [{ filename: "adapters/math-gsm8k/adapter.yaml", status: "added" }]);
  mockTree(scope, BASE, baseTree(options.registry ?? fixture, "math-gsm8k"));
  mockTree(scope, HEAD, adapterTree(options.registry ?? fixture, "math-gsm8k"));
  scope.get(`/repos/${REPO}/issues/2/comments`).query({ per_page: 100 }).reply(200, []);
  scope
    .post(`/repos/${REPO}/issues/2/comments`, (body) => ((sent.comment = body.body), true))
    .reply(201, { id: 100 });
  return { scope, sent };
}

useNock();

/** The registry's evaluate workflow run completed, as GitHub delivers it. */
const deliverRun = async (conclusion: string) =>
  (await makeProbot()).receive({
    id: "w1",
    name: "workflow_run",
    payload: workflowRunPayload(CORRELATION, conclusion),
  } as never);

describe("workflow_run completed -> loragate/evaluate, loragate/bar, one scorecard", () => {
  it("reads results.json from the artifact, applies the bar, completes both checks, posts the scorecard", async () => {
    const { scope, sent } = mockGitHub();
    await deliverRun("success");
    expect(scope.isDone()).toBe(true);
    expect(sent.checks[8]).toMatchObject({
      status: "completed",
      conclusion: "success",
      output: { title: "Evaluated math-gsm8k 0.2.0" },
    });
    expect(sent.checks[9]).toMatchObject({
      status: "completed",
      conclusion: "success",
      output: { title: "Passes the bar" },
    });
    expect(sent.checks[9]!.output.summary).toMatch(
      /^- complete: every benchmark and item evaluated once ✓\n- own benchmark: \+\d+\.\d pts.*\n- domain math \(registry\): \+\d+\.\d pts/,
    );
    expect(sent.comment!.startsWith(SCORECARD_MARKER)).toBe(true);
    expect(sent.comment).toContain(`Latest commit: ${HEAD}`);
    // where the router sends each benchmark without math-gsm8k and with its keywords (price, owe, solve,
    // ...): its own questions and the registry's math benchmark (the same shop task) leave the base and
    // analysis-basic for it
    expect(sent.comment).toContain("### Routing (keywords, LocoLLM's rule)");
    expect(sent.comment).toContain("| adapters/math-gsm8k | 60 | 0% → **100%** | 0% → 0% | 100% → **0%** |");
    expect(sent.comment).toContain("| benchmarks/math | 60 | 0% → **100%** | 42% → **0%** | 58% → **0%** |");
    expect(sent.comment).toMatch(
      /\*\*In-domain as routed: \d\.\d\d\*\* on 120 items .*: 120 answered by math-gsm8k, 0 by the base\./,
    );
    // judging results needs the benchmarks' ids, not the training data
    const dataset = fixture.get("adapters/math-gsm8k/training/dataset.jsonl") as Buffer;
    expect(scope.activeMocks().join("\n")).toContain(blobSha(dataset));
  });

  it.each([
    [
      "only the own benchmark",
      (r: Results) => ({ ...r, benchmarks: r.benchmarks.slice(0, 1) }),
      /math \(domain\) is missing/,
    ],
    [
      "an OOD benchmark with no outcomes",
      (r: Results) => ({
        ...r,
        benchmarks: r.benchmarks.map((b) => (b.name === "code" ? { ...b, outcomes: [] } : b)),
      }),
      /code: 60 of 60 items missing/,
    ],
    [
      "every outcome the same item",
      (r: Results) => ({
        ...r,
        benchmarks: r.benchmarks.map((b) => ({
          ...b,
          outcomes: b.outcomes.map((o) => ({ ...o, id: b.outcomes[0]!.id })),
        })),
      }),
      /own: 59 of 60 items missing, 59 repeated/,
    ],
    [
      "an older harness",
      (r: Results) => ({ ...r, harness: "loragate-eval/2" }),
      /harness loragate-eval\/2, this gate runs/,
    ],
  ])("incomplete results fail the bar, saying what is missing: %s", async (_what, change, reason) => {
    const { scope, sent } = mockGitHub({
      results: Buffer.from(JSON.stringify(change(complete))),
      complete: true,
    });
    await deliverRun("success");
    expect(scope.isDone()).toBe(true);
    expect(sent.checks[9]).toMatchObject({
      conclusion: "failure",
      output: { title: "Does not pass the bar" },
    });
    expect(sent.checks[9]!.output.summary).toMatch(reason);
  });

  it.each([
    [
      "base.id over 200 characters",
      (r: Results) => ({ ...r, base: { ...r.base, id: "b".repeat(201) } }),
      /evaluation\.provenance\.base_id/,
    ],
    [
      "a training time past its bound",
      (r: Results) => ({ ...r, training: { ...r.training, wall_seconds: 2e8 } }),
      /evaluation\.training\.wall_seconds/,
    ],
  ])(
    "results the merge could not record fail the bar before the merge, saying why (issue 35 item 7): %s",
    async (_what, change, field) => {
      const { scope, sent } = mockGitHub({
        results: Buffer.from(JSON.stringify(change(complete))),
        complete: true,
      });
      await deliverRun("success");
      expect(scope.isDone()).toBe(true);
      expect(sent.checks[9]).toMatchObject({
        conclusion: "failure",
        output: { title: "Passes the bar, but its merge could not be recorded" },
      });
      expect(sent.checks[9]!.output.summary).toMatch(
        /the merge could not be recorded in registry\.yaml: what it would write holds a merge record that is invalid at /,
      );
      expect(sent.checks[9]!.output.summary).toMatch(field);
    },
  );

  it("a new version of an imported adapter must beat the imported one's score: none on record fails the bar, saying so", async () => {
    const registry = new Map(fixture);
    registry.set(
      "registry.yaml",
      Buffer.from(
        `${fixture.get("registry.yaml")!.toString()}  math-gsm8k:\n    domain: math\n    version: 0.1.0\n    active: true\n    status: imported\n    imported: {from: locollm, gguf_path: adapters/math/math-merged.gguf}\n`,
      ),
    );
    const { scope, sent } = mockGitHub({ registry });
    await deliverRun("success");
    expect(scope.isDone()).toBe(true);
    expect(sent.checks[9]).toMatchObject({
      conclusion: "failure",
      output: { title: "Does not pass the bar" },
    });
    expect(sent.checks[9]!.output.summary).toContain(
      "- upgrade: 0.1.0 (imported, not gated by loragate) has no in-domain score on record to beat: a maintainer records it in registry.yaml ✗",
    );
  });

  it("ends both checks as failed with a retrain hint when the run failed, and downloads nothing", async () => {
    const { scope, sent } = mockGitHub({ runConclusion: "failure" });
    await deliverRun("failure");
    expect(scope.isDone()).toBe(true);
    expect(sent.downloaded).toBe(false);
    for (const id of [8, 9]) {
      expect(sent.checks[id]).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(sent.checks[id]!.output.summary).toContain("/loragate retrain");
    }
    expect(sent.checks[8]).toMatchObject({ actions: [{ label: "Retrain", identifier: "retrain" }] });
  });

  it.each([
    ["missing", [], /the run uploaded no "loragate-results" artifact/],
    [
      "expired",
      [{ id: 5, name: "loragate-results", size_in_bytes: 900, expired: true }],
      /the run uploaded no "loragate-results" artifact/,
    ],
    [
      "oversized",
      [{ id: 5, name: "loragate-results", size_in_bytes: 2 ** 30, expired: false }],
      /artifact is 1073741824 bytes, over 67108864/,
    ],
  ])(
    "an artifact that is %s: both checks fail with the reason and a retrain hint, nothing is downloaded",
    async (_what, artifacts, reason) => {
      const { scope, sent } = mockGitHub({ artifacts });
      await deliverRun("success");
      expect(scope.isDone()).toBe(true);
      expect(sent.downloaded).toBe(false);
      expect(sent.checks[8]).toMatchObject({
        status: "completed",
        conclusion: "failure",
        output: { title: "The evaluation left no readable results" },
      });
      expect(sent.checks[8]!.output.summary).toMatch(reason);
      expect(sent.checks[9]).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(sent.comment).toBeUndefined();
    },
  );

  it("a redelivered workflow_run whose checks are done writes nothing: no check, no comment, no download", async () => {
    const scope = nock(API);
    mockToken(scope);
    scope.get(`/repos/${REPO}/pulls/2`).reply(200, { number: 2, head: { sha: HEAD }, base: { sha: BASE } });
    for (const [name, id] of [
      ["evaluate", 8],
      ["bar", 9],
    ] as const)
      scope
        .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
        .query({ check_name: `loragate/${name}`, filter: "latest", app_id: "1" })
        .reply(200, {
          total_count: 1,
          check_runs: [
            { id, status: "completed", conclusion: "success", external_id: `${name}:${CORRELATION}` },
          ],
        });
    await deliverRun("success"); // any other request would fail: nock lets nothing else through
    expect(scope.isDone()).toBe(true);
  });

  it("a run cancelled because a retrain started another for the same commit: no verdict, the checks wait for the new run", async () => {
    const scope = nock(API);
    mockToken(scope);
    scope.get(`/repos/${REPO}/pulls/2`).reply(200, { number: 2, head: { sha: HEAD }, base: { sha: BASE } });
    scope
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "queued", per_page: 100 })
      .reply(200, { total_count: 1, workflow_runs: [{ id: 99, display_title: `loragate ${CORRELATION}` }] });
    scope
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "in_progress", per_page: 100 })
      .reply(200, { total_count: 0, workflow_runs: [] });
    await deliverRun("cancelled"); // a check write would fail here: nock lets nothing else through
    expect(scope.isDone()).toBe(true);
  });

  it("a run cancelled with no newer run for the commit: both checks fail with the retrain hint", async () => {
    const { scope, sent } = mockGitHub({ runConclusion: "cancelled" });
    for (const status of ["queued", "in_progress"])
      scope
        .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
        .query({ status, per_page: 100 })
        .reply(200, {
          total_count: 1,
          workflow_runs: [{ id: 98, display_title: "loragate pr9-0123456789ab" }],
        });
    await deliverRun("cancelled");
    expect(scope.isDone()).toBe(true);
    expect(sent.checks[8]).toMatchObject({
      conclusion: "failure",
      output: { title: "The evaluation run ended: cancelled" },
    });
  });

  it("ignores a run for a commit that a newer push superseded", async () => {
    const { scope, sent } = mockGitHub({ prHead: "b".repeat(40) });
    await deliverRun("success");
    expect(scope.isDone()).toBe(true);
    expect(sent.checks).toEqual({});
  });

  it("fails clearly on a malformed results.json", async () => {
    const { sent } = mockGitHub({ results: Buffer.from('{"schema_version": 1, "adapter": 5}') });
    await deliverRun("success");
    expect(sent.checks[8]).toMatchObject({
      conclusion: "failure",
      output: { title: "results.json is invalid" },
    });
    expect(sent.checks[8]!.output.summary).toContain("adapter");
  });

  it("ignores other workflows and runs not on the default branch", async () => {
    const scope = nock(API);
    mockToken(scope);
    const other = workflowRunPayload(CORRELATION, "success");
    other.workflow_run.path = ".github/workflows/ci.yml";
    await (await makeProbot()).receive({ id: "w5", name: "workflow_run", payload: other } as never);
    const branch = workflowRunPayload(CORRELATION, "success");
    branch.workflow_run.head_branch = "attacker-branch";
    await (await makeProbot()).receive({ id: "w6", name: "workflow_run", payload: branch } as never);
    expect(nock.pendingMocks().filter((m) => !m.includes("access_tokens"))).toEqual([]);
  });
});

describe("the sticky scorecard comment", () => {
  const github = new Octokit({ auth: "t", retry: { enabled: false } });
  const repo = { owner: "Codertocat", repo: "Hello-World" };
  const others = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: from + i,
      body: `comment ${from + i}`,
      user: { type: "User" },
    }));
  const mine = (body: string) => ({
    id: 999,
    body,
    user: { type: "Bot" },
    performed_via_github_app: { id: 1 },
  });

  const upsert = (issueNumber: number, body: string) =>
    upsertStickyComment({ github, repo, issueNumber, marker: SCORECARD_MARKER, body });

  it("finds the app's own comment among 150 (two pages) and leaves it alone when unchanged", async () => {
    const body = `${SCORECARD_MARKER}\nscore`;
    const scope = nock(API)
      .get(`/repos/${REPO}/issues/2/comments`)
      .query({ per_page: 100 })
      .reply(200, others(1, 100), {
        link: `<${API}/repos/${REPO}/issues/2/comments?per_page=100&page=2>; rel="next"`,
      })
      .get(`/repos/${REPO}/issues/2/comments`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [...others(101, 49), mine(body)]);
    expect(await upsert(2, body)).toBe("unchanged");
    expect(scope.isDone()).toBe(true);
  });

  it("updates it in place when the content changed, and ignores a user's comment that copies the marker", async () => {
    const scope = nock(API)
      .get(`/repos/${REPO}/issues/2/comments`)
      .query({ per_page: 100 })
      .reply(200, [
        { id: 5, body: `${SCORECARD_MARKER} fake`, user: { type: "User" } },
        mine(`${SCORECARD_MARKER}\nold`),
      ])
      .patch(`/repos/${REPO}/issues/comments/999`, { body: `${SCORECARD_MARKER}\nnew` })
      .reply(200, {});
    expect(await upsert(2, `${SCORECARD_MARKER}\nnew`)).toBe("updated");
    expect(scope.isDone()).toBe(true);
  });

  it("writes one comment when two webhooks race for a PR, and the later body stays", async () => {
    // GitHub's side, with state: what the issue's comments are at the moment each request arrives
    const onGitHub: ReturnType<typeof mine>[] = [];
    const scope = nock(API)
      .get(`/repos/${REPO}/issues/3/comments`)
      .query({ per_page: 100 })
      .times(2)
      .reply(200, () => onGitHub.map((c) => ({ ...c })))
      // one create: a second would find no interceptor and fail the upsert
      .post(`/repos/${REPO}/issues/3/comments`)
      .reply(201, (_, body) => {
        onGitHub.push(mine((body as { body: string }).body));
        return onGitHub.at(-1)!;
      })
      .patch(`/repos/${REPO}/issues/comments/999`)
      .reply(200, (_, body) => {
        onGitHub[0]!.body = (body as { body: string }).body;
        return onGitHub[0]!;
      });
    expect(
      await Promise.all([upsert(3, `${SCORECARD_MARKER}\nfirst`), upsert(3, `${SCORECARD_MARKER}\nsecond`)]),
    ).toEqual(["created", "updated"]);
    expect(onGitHub.map((c) => c.body)).toEqual([`${SCORECARD_MARKER}\nsecond`]);
    expect(scope.isDone()).toBe(true);
  });

  it("a failed upsert does not stop the next one for the same PR", async () => {
    const scope = nock(API)
      .get(`/repos/${REPO}/issues/4/comments`)
      .query({ per_page: 100 })
      .reply(500, { message: "boom" })
      .get(`/repos/${REPO}/issues/4/comments`)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(`/repos/${REPO}/issues/4/comments`)
      .reply(201, {});
    const [first, second] = await Promise.allSettled([
      upsert(4, SCORECARD_MARKER),
      upsert(4, SCORECARD_MARKER),
    ]);
    expect(first.status).toBe("rejected");
    expect(second).toEqual({ status: "fulfilled", value: "created" });
    expect(scope.isDone()).toBe(true);
  });

  it("keeps the oldest of the app's comments and deletes copies that another instance wrote, not other apps'", async () => {
    const scope = nock(API)
      .get(`/repos/${REPO}/issues/2/comments`)
      .query({ per_page: 100 })
      .reply(200, [
        { ...mine(`${SCORECARD_MARKER}\nrace b`), id: 1002 },
        { ...mine(`${SCORECARD_MARKER}\nrace a`), id: 1001 },
        { ...mine(`${SCORECARD_MARKER}\nanother app`), id: 1003, performed_via_github_app: { id: 7 } },
      ])
      .delete(`/repos/${REPO}/issues/comments/1002`)
      .reply(204)
      .patch(`/repos/${REPO}/issues/comments/1001`, { body: `${SCORECARD_MARKER}\nnew` })
      .reply(200, {});
    expect(await upsert(2, `${SCORECARD_MARKER}\nnew`)).toBe("updated");
    expect(scope.isDone()).toBe(true);
  });

  it("as the app: another app's comment with the marker is not taken for its own (a new one is written)", async () => {
    const scope = nock(API);
    mockToken(scope);
    const installation = await (await makeProbot()).auth(1); // app 1, as Probot authenticates it
    let created: string | undefined;
    scope
      .get(`/repos/${REPO}/issues/2/comments`)
      .query({ per_page: 100 })
      .reply(200, [
        { ...mine(`${SCORECARD_MARKER}\nforged: passes`), id: 1003, performed_via_github_app: { id: 7 } },
      ])
      .post(`/repos/${REPO}/issues/2/comments`, (body) => ((created = body.body), true))
      .reply(201, { id: 1004 });
    const result = await upsertStickyComment({
      github: installation,
      repo,
      issueNumber: 2,
      marker: SCORECARD_MARKER,
      body: `${SCORECARD_MARKER}\nreal`,
    });
    expect(result).toBe("created");
    expect(created).toBe(`${SCORECARD_MARKER}\nreal`);
    expect(scope.isDone()).toBe(true);
  });
});
