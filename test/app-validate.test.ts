import { Octokit } from "@octokit/rest";
import nock from "nock";
import { checkRegistry } from "../src/core/check.ts";
import { readPullRequest } from "../src/github/read-pull-request.ts";
import { describe, expect, it } from "vitest";
import { FIXTURE_ROOT, readTree } from "./support/registry.ts";
import {
  API,
  blobSha,
  makeProbot,
  mockNoRuns,
  mockToken,
  mockTree,
  pullRequestPayload,
  REPO,
  type Tree,
  useNock,
  adapterTree as sharedAdapterTree,
  baseTree as sharedBaseTree,
} from "./support/github.ts";

const fixture = readTree(FIXTURE_ROOT) as Tree;
const payload = pullRequestPayload("opened");
const HEAD = payload.pull_request.head.sha;
const BASE = payload.pull_request.base.sha;
const PR = payload.pull_request.number;

const baseTree = (adapter: string) => sharedBaseTree(fixture, adapter);
const adapterTree = (adapter: string) => sharedAdapterTree(fixture, adapter);

interface Annotation {
  path: string;
  start_line: number;
  title: string;
}
interface Sent {
  create?: Record<string, unknown>;
  evaluate?: Record<string, unknown>;
  dispatch?: Record<string, unknown>;
  updates: {
    status?: string;
    conclusion?: string;
    output: { title: string; summary: string; annotations: Annotation[] };
  }[];
}

/** The proposal the fixture adapters cite (`proposal: 42`), with its labels. */
function mockProposal(scope: nock.Scope, labels: string[]): void {
  scope.get(`/repos/${REPO}/issues/42`).reply(200, { number: 42, labels: labels.map((name) => ({ name })) });
}

function mockPullRequest(
  files: { filename: string; status: string }[],
  base: Tree,
  head: Tree,
  proposalLabels = ["adapter-proposal", "approved"],
): { scope: nock.Scope; sent: Sent } {
  const sent: Sent = { updates: [] };
  const scope = nock(API);
  mockToken(scope);
  mockNoCheckYet(scope);
  scope.post(`/repos/${REPO}/check-runs`, (body) => ((sent.create = body), true)).reply(201, { id: 7 });
  scope.get(`/repos/${REPO}/pulls/${PR}/files`).query({ per_page: 100 }).reply(200, files);
  mockTree(scope, BASE, base);
  mockTree(scope, HEAD, head);
  mockProposal(scope, proposalLabels);
  scope
    .patch(
      `/repos/${REPO}/check-runs/7`,
      (body) => (sent.updates.push(body as Sent["updates"][number]), true),
    )
    .times(10)
    .optionally()
    .reply(200, { id: 7 });
  return { scope, sent };
}

const mockNoCheckYet = (scope: nock.Scope) =>
  scope
    .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
    .query({ check_name: "loragate/validate", filter: "latest", app_id: "1" })
    .reply(200, { total_count: 0, check_runs: [] });

/**
 * The evaluate check and the workflow dispatch that follow a passing validation of the PR's current
 * head; GitHub answers the dispatch with `dispatchStatus` (a refusal updates the check).
 */
function mockEvaluationRequest(scope: nock.Scope, sent: Sent, dispatch: boolean, dispatchStatus = 204): void {
  scope
    .get(`/repos/${REPO}/pulls/${PR}`)
    .reply(200, { number: PR, head: { sha: HEAD }, base: { sha: BASE } });
  scope
    .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
    .query({ check_name: "loragate/evaluate", filter: "latest", app_id: "1" })
    .reply(200, { total_count: 0, check_runs: [] });
  scope.post(`/repos/${REPO}/check-runs`, (body) => ((sent.evaluate = body), true)).reply(201, { id: 8 });
  if (dispatch) {
    mockNoRuns(scope);
    scope
      .post(
        `/repos/${REPO}/actions/workflows/loragate.yml/dispatches`,
        (body) => ((sent.dispatch = body), true),
      )
      .reply(dispatchStatus, dispatchStatus === 204 ? undefined : { message: "Not Found" });
  }
  if (!dispatch || dispatchStatus !== 204) {
    scope
      .patch(
        `/repos/${REPO}/check-runs/8`,
        (body) => ((sent.evaluate = { ...sent.evaluate, update: body }), true),
      )
      .reply(200, { id: 8 });
  }
}

const filesOf = (tree: Tree) => [...tree.keys()].map((filename) => ({ filename, status: "added" }));

useNock();

describe("a passing validation -> GPU evaluation", () => {
  it("dispatches the workflow on the default branch with validated inputs for a trusted author, evaluate queued", async () => {
    const head = adapterTree("math-gsm8k");
    const { scope, sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head);
    mockEvaluationRequest(scope, sent, true);
    await (await makeProbot()).receive({ id: "e1", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.evaluate).toMatchObject({
      name: "loragate/evaluate",
      head_sha: HEAD,
      status: "queued",
      external_id: `evaluate:pr${PR}-${HEAD.slice(0, 12)}`,
    });
    expect(sent.dispatch).toEqual({
      ref: (payload.repository as { default_branch: string }).default_branch,
      inputs: {
        pr: String(PR),
        head_sha: HEAD,
        adapter: "math-gsm8k",
        correlation_id: `pr${PR}-${HEAD.slice(0, 12)}`,
      },
    });
  });

  it("a 500 on the dispatch (a write): retried once, one run asked for, evaluate queued", async () => {
    const head = adapterTree("math-gsm8k");
    const { scope, sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head);
    let attempts = 0;
    scope
      .post(`/repos/${REPO}/actions/workflows/loragate.yml/dispatches`, () => (attempts++, true))
      .reply(500, { message: "Server Error" });
    mockNoRuns(scope); // the 500 was GitHub's: no run was made
    mockEvaluationRequest(scope, sent, true);
    await (
      await makeProbot("test-secret", true)
    ).receive({ id: "e9", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(attempts).toBe(1);
    expect(sent.dispatch).toMatchObject({ inputs: { head_sha: HEAD } });
    expect(sent.evaluate).toMatchObject({ status: "queued" });
  });

  it("a dispatch GitHub refuses (no workflow file: 404): evaluate ends as failed, naming the file, with Retrain", async () => {
    const head = adapterTree("math-gsm8k");
    const { scope, sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head);
    mockEvaluationRequest(scope, sent, true, 404);
    await (await makeProbot()).receive({ id: "e8", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    const evaluate = sent.evaluate!.update as { output: { summary: string } };
    expect(evaluate).toMatchObject({
      conclusion: "failure",
      output: { title: "The evaluation could not be started" },
      actions: [expect.objectContaining({ identifier: "retrain" })],
    });
    expect(evaluate.output.summary).toContain("`.github/workflows/loragate.yml` on `master` does not exist");
    expect(sent.updates.at(-1)).toMatchObject({ conclusion: "success" }); // validation itself passed
  });

  it("a late delivery of an older push (the PR's head moved on): validated, but no GPU run is asked for", async () => {
    const head = adapterTree("math-gsm8k");
    const { scope, sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head);
    scope
      .get(`/repos/${REPO}/pulls/${PR}`)
      .reply(200, { number: PR, head: { sha: "f".repeat(40) }, base: { sha: BASE } });
    await (await makeProbot()).receive({ id: "e0", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true); // nothing else was asked: no evaluate check, no dispatch
    expect(sent.updates.at(-1)).toMatchObject({ conclusion: "success" });
    expect(sent.evaluate).toBeUndefined();
    expect(sent.dispatch).toBeUndefined();
  });

  it("asks a first-time contributor's PR for a maintainer's approval and dispatches nothing", async () => {
    const untrusted = structuredClone(payload);
    untrusted.pull_request.author_association = "FIRST_TIME_CONTRIBUTOR";
    const head = adapterTree("math-gsm8k");
    const { scope, sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head);
    mockEvaluationRequest(scope, sent, false);
    await (await makeProbot()).receive({ id: "e2", name: "pull_request", payload: untrusted } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.dispatch).toBeUndefined();
    expect(sent.evaluate).toMatchObject({
      update: {
        status: "completed",
        conclusion: "action_required",
        output: { title: "Waiting for a maintainer to approve GPU time" },
      },
    });
  });

  it("a registry whose base is not pinned yet (just imported): validated with the warning, no GPU run asked for", async () => {
    const head = adapterTree("math-gsm8k");
    const base = baseTree("math-gsm8k");
    const registry = base.get("registry.yaml")!.toString();
    base.set("registry.yaml", Buffer.from(registry.replace(/\n {4}revision: .*\n/, "\n")));
    const { scope, sent } = mockPullRequest(filesOf(head), base, head);
    await (await makeProbot()).receive({ id: "e4", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true); // no evaluate check, no dispatch
    const done = sent.updates.at(-1)!;
    expect(done).toMatchObject({ conclusion: "success" });
    expect(done.output.annotations.map((a) => `${a.path} ${a.title}`)).toContain(
      "registry.yaml loragate unpinned-base",
    );
    expect(sent.evaluate).toBeUndefined();
    expect(sent.dispatch).toBeUndefined();
  });

  it("does not evaluate a draft", async () => {
    const draft = structuredClone(payload);
    (draft.pull_request as { draft?: boolean }).draft = true;
    const head = adapterTree("math-gsm8k");
    const { scope, sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head);
    await (await makeProbot()).receive({ id: "e3", name: "pull_request", payload: draft } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.updates[0]).toMatchObject({ conclusion: "success" });
  });
});

describe("the adapter PR cites an approved proposal", () => {
  it("advisory (the default): an unapproved proposal is a warning, the check still passes", async () => {
    const head = adapterTree("math-gsm8k");
    const { sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head, ["adapter-proposal"]);
    const draft = structuredClone(payload);
    (draft.pull_request as { draft?: boolean }).draft = true;
    await (await makeProbot()).receive({ id: "q1", name: "pull_request", payload: draft } as never);
    expect(sent.updates[0]).toMatchObject({ conclusion: "success" });
    expect(sent.updates[0]!.output.annotations.map((a) => `${a.path} ${a.title}`)).toEqual([
      "adapters/math-gsm8k/adapter.yaml loragate proposal-not-approved",
    ]);
  });

  it("required: an unapproved proposal fails the check", async () => {
    const head = adapterTree("math-gsm8k");
    const base = baseTree("math-gsm8k");
    base.set(".github/loragate.yml", Buffer.from("proposals: required\n"));
    const { sent } = mockPullRequest(filesOf(head), base, head, ["adapter-proposal", "needs-info"]);
    await (await makeProbot()).receive({ id: "q2", name: "pull_request", payload } as never);
    expect(sent.updates[0]).toMatchObject({
      conclusion: "failure",
      output: { title: "1 error, 0 warnings in `math-gsm8k`" },
    });
  });
});

describe("pull_request -> loragate/validate", () => {
  it("does nothing again for a redelivered event whose check already completed", async () => {
    const scope = nock(API);
    mockToken(scope);
    scope
      .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
      .query({ check_name: "loragate/validate", filter: "latest", app_id: "1" })
      .reply(200, {
        total_count: 1,
        check_runs: [{ id: 7, status: "completed", external_id: `validate:${HEAD}` }],
      });
    await (await makeProbot()).receive({ id: "d0", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true); // and nock would have thrown on any other request
  });

  it("rejects a delivery signed with the wrong secret", async () => {
    const probot = await makeProbot("right-secret");
    await expect(
      probot.webhooks.verifyAndReceive({
        id: "d9",
        name: "pull_request",
        payload: JSON.stringify(payload),
        signature: "sha256=" + "0".repeat(64),
      }),
    ).rejects.toThrow(/signature does not match/);
  });

  it("puts the check in progress on the head sha, then completes it as success for a valid adapter", async () => {
    const head = adapterTree("math-gsm8k");
    const { scope, sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head);
    mockEvaluationRequest(scope, sent, true);
    await (await makeProbot()).receive({ id: "d1", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.create).toMatchObject({
      name: "loragate/validate",
      head_sha: HEAD,
      external_id: `validate:${HEAD}`,
      status: "in_progress",
    });
    expect(sent.updates).toHaveLength(1);
    expect(sent.updates[0]).toMatchObject({
      status: "completed",
      conclusion: "success",
      output: { title: "`math-gsm8k`: valid", annotations: [] },
    });
    expect(sent.updates[0]!.output.summary).toContain(
      "✅ `math-gsm8k`: 0 errors, 0 warnings, 520 training examples, 60 benchmark items",
    );
    expect(sent.updates[0]!.output.summary).toContain("contamination: clean against");
  });

  it("annotates the exact line of an invalid adapter and fails", async () => {
    const head = adapterTree("bad-rank");
    const { scope, sent } = mockPullRequest(filesOf(head), baseTree("bad-rank"), head);
    await (await makeProbot()).receive({ id: "d2", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.updates[0]).toMatchObject({
      conclusion: "failure",
      output: { title: "1 error, 0 warnings in `bad-rank`" },
    });
    expect(sent.updates[0]!.output.summary).toContain("❌ `bad-rank`: 1 error, 0 warnings"); // not "1 errors"
    expect(sent.updates[0]!.output.annotations).toEqual([
      {
        path: "adapters/bad-rank/adapter.yaml",
        start_line: 11,
        end_line: 11,
        start_column: 3,
        end_column: 3,
        annotation_level: "failure",
        title: "loragate hyperparameter-range",
        message: "lora.r: lora.r is 512, outside the registry's range 4..64",
        raw_details:
          "hint: choose a value in 4..64 (LocoLLM: r 16, alpha 32, lr 2e-4, 3 epochs, batch 4, 1024 tokens)",
      },
    ]);
  });

  it("flags contamination on the training lines", async () => {
    const head = adapterTree("math-leaky");
    const { sent } = mockPullRequest(filesOf(head), baseTree("math-leaky"), head);
    await (await makeProbot()).receive({ id: "d3", name: "pull_request", payload } as never);
    const annotations = sent.updates.flatMap((u) => u.output.annotations);
    expect(
      annotations.map((a: { start_line: number; title: string }) => `${a.start_line} ${a.title}`),
    ).toEqual(
      [11, 48, 85, 122, 159, 196, 233, 270, 307, 344, 381, 418].map(
        (l) => `${l} loragate contamination-containment`,
      ),
    );
  });

  it("gives a PR that edits registry.yaml or .github/ a protected-path finding, reading both from the base", async () => {
    const head = adapterTree("math-gsm8k");
    const files = [
      ...filesOf(head),
      { filename: "registry.yaml", status: "modified" },
      { filename: ".github/loragate.yml", status: "modified" },
    ];
    const { sent } = mockPullRequest(files, baseTree("math-gsm8k"), head);
    await (await makeProbot()).receive({ id: "d4", name: "pull_request", payload } as never);
    expect(sent.updates[0]).toMatchObject({ conclusion: "failure" });
    expect(
      sent.updates[0]!.output.annotations.map((a: { path: string; title: string }) => `${a.path} ${a.title}`),
    ).toEqual([".github/loragate.yml loragate protected-path", "registry.yaml loragate protected-path"]);
  });

  it("gives a PR that forges another adapter's evaluation record or adds a root file a protected-path finding", async () => {
    const head = adapterTree("math-gsm8k");
    const files = [
      ...filesOf(head),
      { filename: "evaluations/code-basic/9.9.9.json", status: "added" },
      { filename: "evaluations/math-gsm8k/0.2.0.json", status: "modified" },
      { filename: "index.html", status: "added" },
      { filename: "README.md", status: "modified" },
    ];
    const { sent } = mockPullRequest(files, baseTree("math-gsm8k"), head);
    await (await makeProbot()).receive({ id: "d4b", name: "pull_request", payload } as never);
    expect(sent.updates[0]).toMatchObject({ conclusion: "failure" });
    expect(
      sent.updates[0]!.output.annotations.map((a: { path: string; title: string }) => `${a.path} ${a.title}`),
    ).toEqual([
      "evaluations/code-basic/9.9.9.json loragate protected-path",
      "evaluations/math-gsm8k/0.2.0.json loragate protected-path",
      "index.html loragate protected-path",
    ]);
  });

  it("sends annotations 50 per request", async () => {
    const head = adapterTree("math-gsm8k");
    const lines = head.get("adapters/math-gsm8k/training/dataset.jsonl")!.toString().split("\n");
    // 70 lines of invalid JSON in 4 rules: 20 listed per rule = 80 findings (+ notes) -> 2 requests.
    const broken = lines.map((l, i) =>
      i < 70
        ? l.slice(0, -3)
        : i < 140
          ? JSON.stringify({ ...JSON.parse(l), output: "" })
          : i < 210
            ? `[${l}]`
            : i < 280
              ? JSON.stringify({ ...JSON.parse(l), input: 1 })
              : l,
    );
    head.set("adapters/math-gsm8k/training/dataset.jsonl", Buffer.from(broken.join("\n")));
    const { sent } = mockPullRequest(filesOf(head), baseTree("math-gsm8k"), head);
    await (await makeProbot()).receive({ id: "d5", name: "pull_request", payload } as never);
    expect(sent.updates.map((u) => u.output.annotations.length)).toEqual([50, 35]);
    expect(sent.updates[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(sent.updates[1]!.status).toBeUndefined();
  });

  it("ends the check as failed, not in progress, when the head commit is gone (404)", async () => {
    const sent: Sent = { updates: [] };
    const scope = nock(API);
    mockToken(scope);
    mockNoCheckYet(scope);
    scope.post(`/repos/${REPO}/check-runs`).reply(201, { id: 7 });
    scope
      .get(`/repos/${REPO}/pulls/${PR}/files`)
      .query({ per_page: 100 })
      .reply(200, filesOf(adapterTree("math-gsm8k")));
    mockTree(scope, BASE, baseTree("math-gsm8k"));
    scope
      .get(`/repos/${REPO}/git/trees/${HEAD}`)
      .query({ recursive: "true" })
      .reply(404, { message: "Not Found" });
    scope
      .patch(
        `/repos/${REPO}/check-runs/7`,
        (body) => (sent.updates.push(body as Sent["updates"][number]), true),
      )
      .reply(200, { id: 7 });
    await (await makeProbot()).receive({ id: "d6", name: "pull_request", payload } as never);
    expect(sent.updates).toHaveLength(1);
    expect(sent.updates[0]).toMatchObject({
      status: "completed",
      conclusion: "failure",
      output: { title: "loragate could not read this pull request" },
    });
  });
});

describe("reading a PR's adapter folder", () => {
  it("downloads adapter.yaml and the two data files it declares, nothing else (weights, extra files: sizes only)", async () => {
    const head = adapterTree("math-gsm8k");
    const weights = Buffer.alloc(4096, 7);
    const extra = Buffer.from('{"instruction":"x","input":"","output":"y"}\n'.repeat(50));
    head.set("adapters/math-gsm8k/weights/adapter_model.safetensors", weights);
    head.set("adapters/math-gsm8k/extra/more.jsonl", extra);
    const scope = nock(API);
    scope
      .get(`/repos/${REPO}/pulls/1/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: "adapters/math-gsm8k/adapter.yaml", status: "added" }]);
    mockTree(scope, BASE, baseTree("math-gsm8k"));
    mockTree(scope, HEAD, head);
    const files = await readPullRequest({
      github: new Octokit({ auth: "t", request: { retries: 0 } }),
      repo: { owner: "Codertocat", repo: "Hello-World" },
      pullNumber: 1,
      baseSha: BASE,
      headSha: HEAD,
    });
    const unfetched = scope.activeMocks().join("\n");
    expect(unfetched).toContain(blobSha(weights));
    expect(unfetched).toContain(blobSha(extra));
    for (const path of ["adapter.yaml", "training/dataset.jsonl", "eval/benchmark.jsonl"])
      expect(unfetched).not.toContain(blobSha(head.get(`adapters/math-gsm8k/${path}`) as Buffer));
    expect(await files.source.stat("adapters/math-gsm8k/weights/adapter_model.safetensors")).toMatchObject({
      kind: "file",
      size: 4096,
    });
    const report = await checkRegistry({ source: files.source, adapter: "math-gsm8k" });
    expect(report.adapters[0]!.ok).toBe(true);
  });
});
