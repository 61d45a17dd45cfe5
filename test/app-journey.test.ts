import { zipSync } from "fflate";
import { parseDocument } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import { correlationId } from "../src/core/review/correlation.ts";
import { type AppProcess, deliver, startApp, startGitHub, stopStarted } from "./support/app-process.ts";
import { FakeGitHub } from "./support/fake-github.ts";
import { commentPayload, mergedPayload, pullRequestPayload, workflowRunPayload } from "./support/github.ts";
import { completeForFixture, FIXTURE_ROOT, readTree } from "./support/registry.ts";
import { scaled } from "./support/load.ts";

// One registry's life with the app as a process (as operators run it), GitHub played by a stateful
// stand-in on 127.0.0.1, every delivery signed: what GitHub holds at the end is what is asserted.
const ADAPTER = "adapters/math-gsm8k/";
const fixture = new Map(
  [...readTree(FIXTURE_ROOT)].filter((entry): entry is [string, Buffer] => Buffer.isBuffer(entry[1])),
);
const github = new FakeGitHub();
const baseSha = github.commit(new Map([...fixture].filter(([path]) => !path.startsWith(ADAPTER))));
const adapterFiles = [...fixture.keys()].filter((path) => path.startsWith(ADAPTER));
github.labels.set(42, ["adapter-proposal", "approved"]); // the proposal the fixture adapter cites

let app: AppProcess;
afterAll(stopStarted);

/** A PR adding the fixture adapter, its head a commit of its own. */
function openPullRequest(number: number, options: { slow?: boolean } = {}) {
  const head = github.commit(new Map(fixture), baseSha);
  github.pulls.set(number, { head, base: baseSha, association: "OWNER", files: adapterFiles, ...options });
  const payload = pullRequestPayload("opened");
  payload.number = payload.pull_request.number = number;
  payload.pull_request.head.sha = head;
  payload.pull_request.base.sha = baseSha;
  payload.pull_request.author_association = "OWNER";
  return { head, payload };
}

const checkOf = (head: string, name: string) =>
  github.checks.findLast((c) => c.head_sha === head && c.name === name);
const until = (what: () => unknown) => expect.poll(what, { timeout: scaled(30_000), interval: 100 });

function runCompleted(runId: number, head: string, pr: number, conclusion: string) {
  const payload = workflowRunPayload(correlationId(pr, head), conclusion);
  Object.assign(payload.workflow_run, { id: runId, event: "workflow_dispatch", head_branch: github.branch });
  payload.repository.default_branch = github.branch;
  return payload;
}

describe("a registry's life with the app as a process", { timeout: scaled(120_000) }, () => {
  it("validates, dispatches, survives a retrain while queued, reports, merges; refuses and restarts cleanly", async () => {
    const stub = await startGitHub(github.route);
    app = await startApp({}, stub.port);

    // 1. opened: validated, evaluate queued, one dispatch; the delivery answered at once
    const first = openPullRequest(2);
    const answer = await deliver(app, "pull_request", first.payload);
    expect(answer).toMatchObject({ status: 200 });
    expect(answer.ms).toBeLessThan(scaled(1000));
    await until(() => github.dispatches.length).toBe(1);
    expect(checkOf(first.head, "loragate/validate")).toMatchObject({
      status: "completed",
      conclusion: "success",
    });
    expect(checkOf(first.head, "loragate/evaluate")).toMatchObject({ status: "queued" });

    // 2. /loragate retrain while queued: a second run; the workflow's concurrency cancels the first
    const retrain = commentPayload("/loragate retrain", "Codertocat");
    retrain.issue.number = 2;
    await deliver(app, "issue_comment", retrain);
    await until(() => github.dispatches.length).toBe(2);
    const [cancelled, second] = github.runs;
    Object.assign(cancelled!, { status: "completed", conclusion: "cancelled" });
    await deliver(app, "workflow_run", runCompleted(cancelled!.id, first.head, 2, "cancelled"));
    await until(() => app.log()).toContain(`run ${cancelled!.id} (cancelled): superseded`);
    expect(checkOf(first.head, "loragate/evaluate")).toMatchObject({ status: "queued" });

    // 3. the newer run succeeds: both checks pass, one scorecard comment
    const results = await completeForFixture({ ...sampleResults(), head_sha: first.head });
    github.artifacts.set(
      second!.id,
      Buffer.from(zipSync({ "results.json": Buffer.from(JSON.stringify(results)) })),
    );
    Object.assign(second!, { status: "completed", conclusion: "success" });
    await deliver(app, "workflow_run", runCompleted(second!.id, first.head, 2, "success"));
    // evaluate completes last (issue 38: while it is open, the reconciler can finish the report)
    await until(() => checkOf(first.head, "loragate/evaluate")?.conclusion).toBe("success");
    expect(checkOf(first.head, "loragate/bar")).toMatchObject({ status: "completed", conclusion: "success" });
    const scorecards = () =>
      github.comments.filter((c) => c.issue === 2 && c.body.includes("loragate scorecard"));
    await until(() => scorecards().length).toBe(1);

    // 4. merged: one registry commit with the adapter's entry
    const closed = mergedPayload(2, first.head, github.branch);
    await deliver(app, "pull_request", closed);
    await until(() => github.commits).toBe(1);
    const registry = parseDocument(github.fileAt(github.head, "registry.yaml")!.toString()).toJS();
    expect(registry.adapters["math-gsm8k"]).toMatchObject({ provenance: { pr: 2, head_sha: first.head } });

    // 5. a dispatch GitHub refuses: the evaluate check ends, naming the workflow file
    github.refuseDispatch = 404;
    const refused = openPullRequest(3);
    await deliver(app, "pull_request", refused.payload);
    await until(() => checkOf(refused.head, "loragate/evaluate")?.conclusion).toBe("failure");
    expect(checkOf(refused.head, "loragate/evaluate")!.output.summary).toContain(
      ".github/workflows/loragate.yml",
    );
    github.refuseDispatch = undefined;

    // 6. killed mid-validation (GitHub hangs on the PR's files), restarted: the reconciler finishes it
    const stuck = openPullRequest(4, { slow: true });
    await deliver(app, "pull_request", stuck.payload);
    await until(() => checkOf(stuck.head, "loragate/validate")?.status).toBe("in_progress");
    app.child.kill("SIGKILL");
    await app.exited;
    github.pulls.get(4)!.slow = false;
    github.age(60); // an hour later
    app = await startApp({ LORAGATE_RECONCILE_MINUTES: "60" }, stub.port);
    await until(() => checkOf(stuck.head, "loragate/validate")?.conclusion).toBe("success");
    await until(() => github.dispatches.at(-1)?.head_sha).toBe(stuck.head); // and sent to the GPU

    // what GitHub holds: no check left open but the one waiting on its GPU run, one commit
    const open = github.checks.filter((c) => c.status !== "completed");
    expect(open.map((c) => `${c.name} ${c.head_sha === stuck.head ? "stuck" : c.head_sha}`)).toEqual([
      "loragate/evaluate stuck",
    ]);
    expect(github.commits).toBe(1);
  });
});
