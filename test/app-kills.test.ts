import { afterAll, describe, type ExpectStatic, it } from "vitest";
import { mulberry32 } from "../fixtures/data.ts";
import { correlationId } from "../src/core/review/correlation.ts";
import { type AppProcess, deliver, startApp, startGitHub, stopStarted } from "./support/app-process.ts";
import { registryOnGitHub } from "./support/journey.ts";

// Issue 38 items 1 and 2: a SIGKILL at any step of a PR's journey, and work that fails before its
// check exists, end with every check closed, nothing lost and nothing done twice, found by the app's
// own reconciler after its restart (the real process against a stateful GitHub stand-in).
// The tests run at once (each its own app process and stand-in, mostly waiting): each asserts with
// its own expect, and the processes are stopped when all are done.
afterAll(stopStarted);

/** Within 2 minutes of a restart (the bound). */
const polling = (expect: ExpectStatic) => (what: () => unknown) =>
  expect.poll(what, { timeout: 120_000, interval: 100 });

describe(
  "a kill at any step is found and finished by the reconciler (issue 38)",
  { timeout: 400_000, concurrent: true },
  () => {
    it("killed while writing the scorecard, the bar, evaluate and the merge commit, and with a bar left open by an older version: each restart finishes the step, nothing twice", async ({
      expect,
    }) => {
      let app: AppProcess | undefined;
      const until = polling(expect);
      const { github, openPullRequest, finishRun, merge, stateOf } = registryOnGitHub();
      const stub = await startGitHub(github.route);
      github.onKill = () => app!.child.kill("SIGKILL");
      app = await startApp({}, stub.port);
      const prs = [2, 3, 4, 5].map((n) => openPullRequest(n));
      type Pr = (typeof prs)[number];
      for (const pr of prs) await deliver(app, "pull_request", pr.payload);
      await until(() => github.dispatches.length).toBe(prs.length);

      /** Delivers, waits for the kill the fault causes, and starts the app again (its reconciler runs at start). */
      const killedAt = async (fault: { at: RegExp; body?: RegExp }, event: string, payload: unknown) => {
        github.faults.push({ ...fault, kind: "kill" });
        await deliver(app!, event, payload);
        await app!.exited;
        app = await startApp({}, stub.port);
      };
      const reported = {
        validate: ["success"],
        evaluate: ["success"],
        bar: ["success"],
        dispatches: 1,
        scorecards: 1,
      };
      const [scorecard, bar, evaluate, legacy] = prs as [Pr, Pr, Pr, Pr];

      // 1. the scorecard: killed as its comment is created
      await killedAt({ at: /^POST \/issues\/2\/comments$/ }, "workflow_run", await finishRun(scorecard));
      await until(() => stateOf(scorecard)).toEqual(reported);
      // 2. the bar: killed as its verdict is written (the scorecard is there)
      await killedAt(
        { at: /^PATCH \/check-runs\/\d+$/, body: /Passes the bar/ },
        "workflow_run",
        await finishRun(bar),
      );
      await until(() => stateOf(bar)).toEqual(reported);
      // 3. evaluate: killed as it completes (the bar has its verdict)
      await killedAt(
        { at: /^PATCH \/check-runs\/\d+$/, body: /"title":"Evaluated/ },
        "workflow_run",
        await finishRun(evaluate),
      );
      await until(() => stateOf(evaluate)).toEqual(reported);

      // 4. what an older version's kill left: evaluate completed, the bar in progress, no scorecard
      await finishRun(legacy);
      const id = correlationId(legacy.number, legacy.head);
      const barCheck = () => github.checks.find((c) => c.external_id === `bar:${id}`);
      const evaluateCheck = github.checks.find((c) => c.external_id === `evaluate:${id}`)!;
      Object.assign(evaluateCheck, { status: "completed", conclusion: "success" });
      github.checks.push({
        ...evaluateCheck,
        id: 9_000,
        name: "loragate/bar",
        external_id: `bar:${id}`,
        status: "in_progress",
        conclusion: null,
      });
      // 5. the merge commit: killed as the branch is moved to it
      await killedAt({ at: /^PATCH \/git\/refs\/heads\/master$/ }, "pull_request", merge(scorecard));
      await until(() => github.commits).toBe(1);
      await until(() => barCheck()?.conclusion).toBe("success");
      expect(stateOf(legacy)).toEqual(reported);

      // nothing open, nothing twice, the registry entry written once
      expect(github.checks.filter((c) => c.status !== "completed")).toEqual([]);
      expect(github.dispatches).toHaveLength(prs.length);
      expect(github.comments).toHaveLength(prs.length);
      expect(github.fileAt(github.head, "registry.yaml")!.toString()).toContain(
        `head_sha: ${scorecard.head}`,
      );
      expect(github.faults.map((f) => f.times)).toEqual([0, 0, 0, 0]);
    });

    it("a 429 before the check exists: waited out by its retry-after, then a failed check that says why, then the reconciler comes back and finishes", async ({
      expect,
    }) => {
      const until = polling(expect);
      const { github, openPullRequest, checksOf, stateOf } = registryOnGitHub();
      const stub = await startGitHub(github.route);
      const app = await startApp({ LORAGATE_RETRY_SECONDS: "3" }, stub.port);
      const pr = openPullRequest(2);
      // 4 answers: the first try and its 3 waits of retry-after; the review gives up, its trace gets through
      github.faults.push({ at: /^GET \/commits\/\w+\/check-runs$/, kind: 429, retryAfter: 1, times: 4 });
      const seen: string[] = [];
      const watch = setInterval(() => {
        const title = checksOf(pr.head, "loragate/validate")[0]?.output.title;
        if (title && seen.at(-1) !== title) seen.push(title);
      }, 20);
      await deliver(app, "pull_request", pr.payload);
      await until(() => stateOf(pr).dispatches).toBe(1);
      clearInterval(watch);
      expect(seen[0]).toBe("loragate could not finish: it tries again by itself");
      expect(checksOf(pr.head, "loragate/validate").map((c) => c.conclusion)).toEqual(["success"]);
      expect(app.log()).toMatch(/GitHub asked to wait 1 s \(429\)/);
      // the reconciler logs what it did once its pass ends, after the dispatch
      await until(() => app.log()).toMatch(
        /reconciler: Codertocat\/Hello-World#2 \w{7}: validation did not finish/,
      );
    });

    it("killed at 3 random calls of PRs' journeys (seeded): within 2 minutes of each restart every PR reaches its end, nothing twice", async ({
      expect,
    }) => {
      let app: AppProcess | undefined;
      const until = polling(expect);
      const { github, openPullRequest, finishRun, merge, stateOf } = registryOnGitHub();
      const stub = await startGitHub(github.route);
      github.onKill = () => app!.child.kill("SIGKILL");
      app = await startApp({}, stub.port);
      const random = mulberry32(38);
      const kills: number[] = [];
      /** Delivers a step; if the app dies on the way, starts it again; then waits for the step's end. */
      const step = async (event: string, payload: unknown, done: () => boolean) => {
        await deliver(app!, event, payload).catch(() => undefined); // a kill can cut the answer too
        const dead = await Promise.race([
          app!.exited.then(() => true),
          expect
            .poll(done, { timeout: 120_000, interval: 100 })
            .toBe(true)
            .then(() => false),
        ]);
        if (!dead) return;
        app = await startApp({}, stub.port);
        await until(done).toBe(true);
      };
      for (const number of [2, 3, 4]) {
        const pr = openPullRequest(number);
        // each PR's journey makes about 60 calls: a kill at one of its first 60, anywhere in it
        const at = 1 + Math.floor(random() * 60);
        kills.push(at);
        github.faults.push({ at: /./, kind: "kill", after: at - 1 });
        await step("pull_request", pr.payload, () => stateOf(pr).dispatches === 1);
        await step("workflow_run", await finishRun(pr), () => stateOf(pr).evaluate[0] === "success");
        const commits = github.commits;
        await step("pull_request", merge(pr), () => github.commits === commits + 1);
        expect(stateOf(pr)).toEqual({
          validate: ["success"],
          evaluate: ["success"],
          bar: ["success"],
          dispatches: 1,
          scorecards: 1,
        });
        expect(github.faults.splice(0).map((f) => f.times)).toEqual([0]); // the kill came
      }
      console.log(`killed at calls ${kills.join(", ")} of the three journeys`);
      expect(github.checks.filter((c) => c.status !== "completed")).toEqual([]);
      expect(github.comments).toHaveLength(3);
      expect(github.dispatches).toHaveLength(3);
    });
  },
);
