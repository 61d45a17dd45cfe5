import { afterAll, describe, type ExpectStatic, it } from "vitest";
import {
  type AppProcess,
  deliver,
  SECRET,
  startApp,
  startGitHub,
  stopStarted,
} from "./support/app-process.ts";
import { registryOnGitHub } from "./support/journey.ts";

// Issue 38 item 4, issue 35 item 5, issue 37 item 6: what an operator's probes and scrapes see.
// The tests run at once (each its own app process and stand-in, mostly waiting), each asserting with its
// own expect; the processes are stopped when all are done.
afterAll(stopStarted);
const polling = (expect: ExpectStatic) => (what: () => unknown) =>
  expect.poll(what, { timeout: 60_000, interval: 100 });
const get = (app: AppProcess, path: string) => fetch(`http://127.0.0.1:${app.port}${path}`);
const readiness = async (app: AppProcess) => {
  const started = performance.now();
  const answer = await get(app, "/readyz");
  return { status: answer.status, text: await answer.text(), ms: performance.now() - started };
};

describe("readiness and metrics (issue 38)", { timeout: 180_000 }, () => {
  it.concurrent(
    "/readyz answers from a state kept in the background: 300 probes spend no GitHub call, a hung GitHub does not hang it, and it is ready again within seconds of GitHub's return",
    async ({ expect }) => {
      const until = polling(expect);
      let github: "up" | "hangs" = "up";
      const stub = await startGitHub((req) =>
        req.url === "/app"
          ? github === "up"
            ? { status: 200, json: { id: 1 } }
            : { status: 0, hang: true }
          : undefined,
      );
      const app = await startApp({}, stub.port);
      await until(async () => (await readiness(app)).status).toBe(200);
      const asked = () => stub.seen.filter((call) => call === "GET /app").length;
      const before = asked();
      const answers = await Promise.all(Array.from({ length: 300 }, () => readiness(app)));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      // the background loop asks every 5 s, whatever the probes: at most one of its questions fell in
      expect(asked() - before).toBeLessThanOrEqual(1);

      github = "hangs";
      await until(async () => (await readiness(app)).text).toMatch(
        /^GitHub has not answered the app (for \d+ s|within 5 s)\n$/,
      );
      const hung = await readiness(app);
      expect(hung.status).toBe(503);
      expect(hung.ms).toBeLessThan(5_000); // not the 30 s of GitHub's timeout
      github = "up";
      const back = performance.now();
      await until(async () => (await readiness(app)).status).toBe(200);
      console.log(
        `/readyz ready ${Math.round((performance.now() - back) / 1000)} s after GitHub answered again`,
      );
    },
  );

  it.concurrent(
    "an unreachable GitHub (DNS) is said as such in one line, never as 'GitHub answered 500'; a delivery with no signature gets one log line",
    async ({ expect }) => {
      const until = polling(expect);
      const app = await startApp({
        GHE_HOST: "github.invalid",
        GHE_PROTOCOL: "http",
        LORAGATE_GITHUB_TIMEOUT_MS: "2000",
      });
      await until(async () => (await readiness(app)).text).toMatch(
        /^GitHub does not answer the app: GitHub could not be reached for GET http:\/\/github\.invalid\/api\/v3\/app: getaddrinfo \w+ github\.invalid\n$/,
      );
      const unsigned = await fetch(`http://127.0.0.1:${app.port}/api/github/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "d-1" },
        body: "{}",
      });
      expect(unsigned.status).toBe(400);
      await until(() => app.log()).toContain(
        "refused a delivery to /api/github/webhooks with no x-hub-signature-256 header (400)",
      );
      expect(app.log()).not.toContain("GitHub answered 500");
      expect(app.log()).not.toMatch(/\n\s+at /); // no stack
      expect(SECRET).not.toBe(""); // the app ran with a real secret: the refusal is the missing header's
    },
  );

  it.concurrent(
    "/metrics has the process's own series, and after a restart the in-flight gauge is what GitHub shows",
    async ({ expect }) => {
      const until = polling(expect);
      const { github, openPullRequest } = registryOnGitHub();
      const stub = await startGitHub(github.route);
      let app = await startApp({}, stub.port);
      const prs = [2, 3].map((n) => openPullRequest(n));
      for (const pr of prs) await deliver(app, "pull_request", pr.payload);
      await until(() => github.dispatches.length).toBe(2);
      const gauge = async () =>
        Number(
          /^loragate_evaluations_in_flight (\d+)$/m.exec(await (await get(app, "/metrics")).text())?.[1],
        );
      expect(await gauge()).toBe(2);
      app.child.kill("SIGKILL");
      await app.exited;
      app = await startApp({}, stub.port);
      await until(gauge).toBe(2); // read from GitHub by the reconciler at start, not 0
      const metrics = await (await get(app, "/metrics")).text();
      for (const series of [
        "process_cpu_user_seconds_total",
        "process_resident_memory_bytes",
        "nodejs_eventloop_lag_seconds",
        "nodejs_heap_size_used_bytes",
      ])
        expect(metrics).toMatch(new RegExp(`^${series} `, "m"));
    },
  );
});
