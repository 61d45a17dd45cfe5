import { readFileSync } from "node:fs";
import { afterAll, describe, type ExpectStatic, it } from "vitest";
import { type AppProcess, deliver, startApp, startGitHub, stopStarted } from "./support/app-process.ts";
import { FakeGitHub } from "./support/fake-github.ts";
import { zipSync } from "fflate";
import { parseDocument } from "yaml";
import { sampleResults } from "../fixtures/sample-results.ts";
import { correlationId } from "../src/core/review/correlation.ts";
import { commentPayload, mergedPayload, pullRequestPayload, workflowRunPayload } from "./support/github.ts";
import { completeForFixture, FIXTURE_ROOT, readTree } from "./support/registry.ts";
import { scaled } from "./support/load.ts";

// Issue 26: the app as a process against a stateful GitHub stand-in that loses answers, hangs and
// fails for a while. What GitHub holds at the end is what is asserted.
const ADAPTER = "adapters/math-gsm8k/";
const DATASET = `${ADAPTER}training/dataset.jsonl`;
const fixture = new Map(
  [...readTree(FIXTURE_ROOT)].filter((entry): entry is [string, Buffer] => Buffer.isBuffer(entry[1])),
);

// After the first (50 MB validated: CPU and memory), the tests run at once (each its own app process and
// stand-in, mostly waiting): each asserts with its own expect; the processes are stopped when all are done.
afterAll(stopStarted);

/** A GitHub stand-in holding the fixture registry on its default branch. */
function registryOnGitHub() {
  const github = new FakeGitHub();
  const baseSha = github.commit(new Map([...fixture].filter(([path]) => !path.startsWith(ADAPTER))));
  github.labels.set(42, ["adapter-proposal", "approved"]); // the proposal the fixture adapter cites
  /** A PR adding the fixture adapter (with `replace`d files), its head a commit of its own. */
  const openPullRequest = (number: number, replace: Map<string, Buffer> = new Map()) => {
    const files = new Map([...fixture, ...replace]);
    const head = github.commit(files, baseSha);
    const changed = [...files.keys()].filter((path) => path.startsWith(ADAPTER));
    github.pulls.set(number, { head, base: baseSha, association: "OWNER", files: changed });
    const payload = pullRequestPayload("opened");
    payload.number = payload.pull_request.number = number;
    payload.pull_request.head.sha = head;
    payload.pull_request.base.sha = baseSha;
    payload.pull_request.author_association = "OWNER";
    return { head, payload };
  };
  const checksOf = (head: string, name: string) =>
    github.checks.filter((c) => c.head_sha === head && c.name === name);
  return { github, openPullRequest, checksOf };
}

async function start(github: FakeGitHub, env: Record<string, string> = {}) {
  const stub = await startGitHub(github.route);
  return startApp(env, stub.port);
}

const polling =
  (expect: ExpectStatic) =>
  (what: () => unknown, timeout = scaled(60_000)) =>
    expect.poll(what, { timeout, interval: 100 });

/** The fixture adapter's PR opened on a stand-in of its own, validated and sent to the GPU. */
async function sentToGpu(expect: ExpectStatic) {
  const until = polling(expect);
  const { github, openPullRequest } = registryOnGitHub();
  const pr = openPullRequest(2);
  const app = await start(github);
  await deliver(app, "pull_request", pr.payload);
  await until(() => github.dispatches.length).toBe(1);
  return { github, pr, app, until };
}

/** A valid training set of about `bytes` bytes (distinct arithmetic examples). */
function trainingSet(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${JSON.stringify({
      instruction: `Work out the total for order number ${i} of the school fair, step by step, and give the number.`,
      input: `Order ${i}: ${i % 97} boxes of ${(i * 7) % 89} pencils and ${(i * 13) % 61} loose ones.`,
      output: `There are ${i % 97} x ${(i * 7) % 89} = ${(i % 97) * ((i * 7) % 89)} boxed pencils; the answer is ${(i % 97) * ((i * 7) % 89) + ((i * 13) % 61)}.`,
    })}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(""));
}

/** The app process's peak resident memory in MB (Linux). */
const peakRssMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

describe("the app under real conditions (issue 26)", { timeout: scaled(180_000) }, () => {
  it("a PR with a 50 MB training set validates and is sent to the GPU; the blob is read raw, memory bounded", async ({
    expect,
  }) => {
    const until = polling(expect);
    const { github, openPullRequest, checksOf } = registryOnGitHub();
    const pr = openPullRequest(2, new Map([[DATASET, trainingSet(50 << 20)]]));
    const app = await start(github);
    await deliver(app, "pull_request", pr.payload);
    await until(() => checksOf(pr.head, "loragate/validate")[0]?.status, scaled(150_000)).toBe("completed");
    expect(checksOf(pr.head, "loragate/validate")[0]).toMatchObject({ conclusion: "success" });
    await until(() => github.dispatches.length).toBe(1);
    const peak = peakRssMb(app.child.pid!);
    console.log(`peak RSS of the app validating a 50 MB training set: ${Math.round(peak)} MB`);
    expect(peak).toBeLessThan(1024);
  });

  it.concurrent(
    "every GitHub call ends within LORAGATE_GITHUB_TIMEOUT_MS with several PRs at once: hung check updates are aborted and retried",
    async ({ expect }) => {
      const until = polling(expect);
      const { github, openPullRequest, checksOf } = registryOnGitHub();
      const prs = [2, 3, 4, 5, 6].map((n) => openPullRequest(n));
      github.faults.push({ at: /^PATCH \/check-runs\/\d+$/, kind: "hang", times: 3 });
      const app = await start(github, { LORAGATE_GITHUB_TIMEOUT_MS: "3000" });
      await Promise.all(prs.map((pr) => deliver(app, "pull_request", pr.payload)));
      await until(() => prs.map((pr) => checksOf(pr.head, "loragate/validate")[0]?.conclusion)).toEqual(
        prs.map(() => "success"),
      );
      await until(() => github.dispatches.length).toBe(prs.length);
      expect(github.faults[0]!.times).toBe(0); // the three hangs happened
    },
  );

  it.concurrent(
    "a check run, a dispatch and a comment GitHub made but whose answer was lost are not made twice",
    async ({ expect }) => {
      const until = polling(expect);
      const { github, openPullRequest, checksOf } = registryOnGitHub();
      const pr = openPullRequest(2);
      github.faults.push(
        { at: /^POST \/check-runs$/, kind: "lost" },
        { at: /^POST \/actions\/workflows\/loragate\.yml\/dispatches$/, kind: "lost" },
        { at: /^POST \/issues\/2\/comments$/, kind: "lost" },
      );
      const app = await start(github);
      await deliver(app, "pull_request", pr.payload);
      await until(() => github.dispatches.length).toBe(1);
      await until(() => checksOf(pr.head, "loragate/validate").map((c) => c.conclusion)).toEqual(["success"]);
      expect(checksOf(pr.head, "loragate/evaluate").map((c) => c.status)).toEqual(["queued"]);
      const help = commentPayload("/loragate help", "Codertocat");
      help.issue.number = 2;
      await deliver(app, "issue_comment", help);
      await until(() => app.log()).toContain("command by Codertocat: help");
      expect(github.comments.filter((c) => c.issue === 2)).toHaveLength(1);
      expect(github.faults.map((f) => f.times)).toEqual([0, 0, 0]);
    },
  );

  it.concurrent(
    "a redelivered pull_request.opened logs the check's own conclusion and dispatches nothing again",
    async ({ expect }) => {
      const { github, pr, app, until } = await sentToGpu(expect);
      await deliver(app, "pull_request", pr.payload);
      await until(() => app.log()).toContain(
        `Codertocat/Hello-World#2 ${pr.head.slice(0, 7)} math-gsm8k: opened: validation success (done before); evaluation replay`,
      );
      expect(github.dispatches).toHaveLength(1);
    },
  );

  it.concurrent(
    "a redelivered /loragate retrain (same delivery id) is not run again: one dispatch, one reply",
    async ({ expect }) => {
      const { github, app, until } = await sentToGpu(expect);
      const retrain = commentPayload("/loragate retrain", "Codertocat");
      retrain.issue.number = 2;
      await deliver(app, "issue_comment", retrain, undefined, "delivery-retrain-1");
      await until(() => github.comments.length).toBe(1);
      await deliver(app, "issue_comment", retrain, undefined, "delivery-retrain-1");
      await until(() => app.log()).toContain("already answered");
      expect(github.dispatches).toHaveLength(2);
      expect(github.comments).toHaveLength(1);
    },
  );

  it.concurrent(
    "killed at each step of the flow (validate, evaluate check, dispatch, results, merge), the app started again brings every PR to its end state",
    async ({ expect }) => {
      let app: AppProcess | undefined;
      const until = polling(expect);
      const { github, openPullRequest, checksOf } = registryOnGitHub();
      const stub = await startGitHub(github.route);
      github.onKill = () => app!.child.kill("SIGKILL");
      /** Delivers, waits for the kill the fault causes, and starts the app again (reconciler at start). */
      const killedAt = async (at: RegExp, event: string, payload: unknown) => {
        github.faults.push({ at, kind: "kill" });
        await deliver(app!, event, payload);
        await app!.exited;
        app = await startApp({}, stub.port);
      };
      app = await startApp({}, stub.port);
      const evaluated = (head: string) => ({
        validate: checksOf(head, "loragate/validate").map((c) => c.conclusion),
        evaluate: checksOf(head, "loragate/evaluate").map((c) => c.status),
        dispatches: github.dispatches.filter((d) => d.head_sha === head).length,
      });
      const sentToGpu = { validate: ["success"], evaluate: ["queued"], dispatches: 1 };

      // 1. validate: killed while reading the PR's files
      const first = openPullRequest(2);
      await killedAt(/^GET \/pulls\/2\/files$/, "pull_request", first.payload);
      await until(() => evaluated(first.head)).toEqual(sentToGpu);
      // 2. evaluate check: killed between the validation's success and the evaluate check
      const second = openPullRequest(3);
      await killedAt(/^GET \/pulls\/3$/, "pull_request", second.payload);
      await until(() => evaluated(second.head)).toEqual(sentToGpu);
      // 3. dispatch: killed with the evaluate check queued, before the dispatch
      const third = openPullRequest(4);
      await killedAt(/^POST \/actions\/workflows\/loragate\.yml\/dispatches$/, "pull_request", third.payload);
      await until(() => evaluated(third.head)).toEqual(sentToGpu);

      // 4. results: the run finished; killed while downloading its results
      const run = github.runs.find((r) => r.display_title.includes(correlationId(2, first.head)))!;
      const results = await completeForFixture({ ...sampleResults(), head_sha: first.head });
      github.artifacts.set(
        run.id,
        Buffer.from(zipSync({ "results.json": Buffer.from(JSON.stringify(results)) })),
      );
      Object.assign(run, { status: "completed", conclusion: "success" });
      const completed = workflowRunPayload(correlationId(2, first.head), "success");
      Object.assign(completed.workflow_run, {
        id: run.id,
        event: "workflow_dispatch",
        head_branch: github.branch,
      });
      completed.repository.default_branch = github.branch;
      await killedAt(/^GET \/actions\/artifacts\/\d+\/zip$/, "workflow_run", completed);
      await until(() => checksOf(first.head, "loragate/evaluate").map((c) => c.conclusion)).toEqual([
        "success",
      ]);
      expect(checksOf(first.head, "loragate/bar").map((c) => c.conclusion)).toEqual(["success"]);
      await until(() => github.comments.filter((c) => c.body.includes("loragate scorecard")).length).toBe(1);

      // 5. merge: killed while writing the registry commit
      github.pulls.get(2)!.merged = true;
      const closed = mergedPayload(2, first.head, github.branch);
      await killedAt(/^POST \/git\/trees$/, "pull_request", closed);
      await until(() => github.commits).toBe(1);
      const registry = parseDocument(github.fileAt(github.head, "registry.yaml")!.toString()).toJS();
      expect(registry.adapters["math-gsm8k"]).toMatchObject({ provenance: { pr: 2, head_sha: first.head } });

      // nothing twice, nothing left open but the evaluations waiting on their GPU runs; the reconciler said what it did
      expect(github.dispatches).toHaveLength(3);
      expect(github.checks.filter((c) => c.status !== "completed").map((c) => c.name)).toEqual([
        "loragate/evaluate",
        "loragate/evaluate",
      ]);
      await until(() => app!.log()).toMatch(
        /reconciler: Codertocat\/Hello-World#2 \w{7}: merged, registry entry missing; written/,
      );
    },
  );
});
