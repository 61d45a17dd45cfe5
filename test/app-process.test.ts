import { afterAll, describe, expect, it } from "vitest";
import {
  deliver,
  noAdapterChangeRoute,
  startApp,
  startGitHub,
  stopStarted,
  warningsIn,
} from "./support/app-process.ts";
import { pullRequestPayload } from "./support/github.ts";
import { scaled } from "./support/load.ts";

// The tests that time no answer run at once (each its own app process, mostly starting or waiting), each
// asserting with its own expect; the two that time answers run after them, one at a time. The processes
// are stopped when all are done.
afterAll(stopStarted);

describe("the app as a process, as operators run it", () => {
  it.concurrent.for([
    [undefined, /WEBHOOK_SECRET is not set.*Webhook secret/],
    ["development", /Probot's public development secret.*LORAGATE_DEVELOPMENT=1/],
  ] as const)(
    "does not start with WEBHOOK_SECRET=%s, and says which variable and where to find it",
    async ([secret, says], { expect }) => {
      const app = await startApp({ WEBHOOK_SECRET: secret });
      expect(await app.exited).toBe(2);
      expect(app.log()).toMatch(says);
    },
  );

  it.concurrent(
    "does not start on a wrong environment, and names every variable that is wrong, in one message",
    async ({ expect }) => {
      const app = await startApp({
        APP_ID: "my-app",
        PRIVATE_KEY: "not a key",
        LORAGATE_RECONCILE_MINUTES: "15m",
        LORAGATE_SHUTDOWN_GRACE_MS: String(2 ** 31), // Node's timers would fire at once
        LOG_FORMAT: "xml",
      });
      expect(await app.exited).toBe(2);
      expect(app.log().trim().split("\n")).toEqual([
        "loragate: the app does not start; fix its environment:",
        "  APP_ID must be the GitHub App's id, a number (Settings > Developer settings > GitHub Apps > the app > App ID)",
        "  LOG_FORMAT must be json or pretty",
        "  LORAGATE_RECONCILE_MINUTES must be a whole number of minutes (0: at start only)",
        "  LORAGATE_SHUTDOWN_GRACE_MS must be a whole number of milliseconds, at most 2147483647",
        '  The contents of "env.PRIVATE_KEY" could not be validated. Please check to ensure you have copied the contents of the .pem file correctly.',
      ]);
    },
  );

  it.concurrent(
    "without a private key it exits 2 instead of Probot's setup mode (a browser flow that calls smee.io)",
    async ({ expect }) => {
      const app = await startApp({ PRIVATE_KEY: undefined });
      expect(await app.exited).toBe(2);
      expect(app.log()).toMatch(/PRIVATE_KEY is not set, nor PRIVATE_KEY_PATH/);
      expect(app.log()).not.toMatch(/setup|smee/i);
    },
  );

  it.concurrent(
    "a delivery with a bad signature: 400, one warning line, none of its payload in the log",
    async ({ expect }) => {
      const stub = await startGitHub(() => undefined);
      const app = await startApp({}, stub.port);
      const before = app.log().length;
      const payload = { ...pullRequestPayload("opened"), marker: "PAYLOAD-MARKER-".repeat(500) };
      const { status } = await deliver(app, "pull_request", payload, "not-the-secret");
      expect(status).toBe(400);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const logged = app.log().slice(before);
      expect(warningsIn(logged)).toEqual([
        "refused a delivery whose signature does not match WEBHOOK_SECRET",
      ]);
      expect(logged).not.toContain("PAYLOAD-MARKER");
      expect(logged.length).toBeLessThan(5000); // the payload alone is 7.5 KB: a line or two of request log only
    },
  );

  it("answers a delivery at once, works after it, says what it decided, and finishes that work on SIGTERM", async () => {
    const payload = pullRequestPayload("opened");
    const repo = "/repos/Codertocat/Hello-World";
    const head = payload.pull_request.head.sha;
    let completed: { conclusion?: string } | undefined;
    const stub = await startGitHub((req, body) => {
      const at = `${req.method} ${req.url?.split("?")[0]}`;
      if (at === "POST /app/installations/1/access_tokens") return { status: 201, json: { token: "t" } };
      if (at === `GET ${repo}/commits/${head}/check-runs`)
        return { status: 200, json: { total_count: 0, check_runs: [] } };
      // GitHub slow to create the check: the work outlasts the answer by seconds
      if (at === `POST ${repo}/check-runs`) return { status: 201, json: { id: 7 }, delayMs: 2500 };
      if (at === `GET ${repo}/pulls/2/files`)
        return { status: 200, json: [{ filename: "README.md", status: "modified" }] };
      if (at.startsWith(`GET ${repo}/git/trees/`))
        return { status: 200, json: { sha: "x", truncated: false, tree: [] } };
      if (at === `PATCH ${repo}/check-runs/7`) {
        completed = JSON.parse(body) as { conclusion?: string };
        return { status: 200, json: { id: 7 } };
      }
      return undefined;
    });
    const app = await startApp({}, stub.port);

    const answer = await deliver(app, "pull_request", payload);
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(scaled(1000));
    expect(completed).toBeUndefined(); // the work is still running

    app.child.kill("SIGTERM"); // mid-work: the app finishes it, then exits
    expect(await app.exited).toBe(0);
    expect(completed).toMatchObject({ status: "completed", conclusion: "neutral" });
    expect(app.log()).toMatch(
      new RegExp(
        `Codertocat/Hello-World#2 ${head.slice(0, 7)} -: opened: validation neutral \\(delivery d-\\w+\\)`,
      ),
    );
  });

  it("three PRs opened at once: every delivery answered under a second, every check completed, the writes paced", async () => {
    const payloads = [2, 3, 4].map((n) => {
      const p = pullRequestPayload("opened");
      p.number = n;
      p.pull_request.number = n;
      p.pull_request.head.sha = String(n).repeat(40);
      return p;
    });
    let completed = 0;
    const route = noAdapterChangeRoute(() => completed++, 800);
    const writes: number[] = [];
    const stub = await startGitHub((req, body) => {
      if (req.method !== "GET" && !/access_tokens$/.test(req.url!)) writes.push(Date.now());
      return route(req, body);
    });
    const app = await startApp({ LORAGATE_WRITE_INTERVAL_MS: "400" }, stub.port);
    const answers = await Promise.all(payloads.map((p) => deliver(app, "pull_request", p)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(scaled(1000));
    // every PR's work ends in its log line, written once GitHub has answered its last write
    const logged = () => [2, 3, 4].filter((n) => app.log().includes(`Codertocat/Hello-World#${n} `));
    await expect.poll(logged, { timeout: scaled(20_000) }).toEqual([2, 3, 4]);
    expect(completed).toBe(3);
    // one process paces its own writes by LORAGATE_WRITE_INTERVAL_MS: no second holds more than its turns
    const most = Math.max(...writes.map((t) => writes.filter((u) => u >= t && u < t + 1_000).length));
    expect(writes).toHaveLength(6); // each PR's check created, then completed
    expect(most).toBeLessThanOrEqual(Math.floor(1_000 / 400) + 1);
  });

  it.concurrent(
    "a GitHub call that fails: one error line with the PR, the status and the call, no headers, no stack",
    async ({ expect }) => {
      const stub = await startGitHub((req) =>
        req.url === "/app/installations/1/access_tokens" ? { status: 201, json: { token: "t" } } : undefined,
      ); // anything else: 404
      const app = await startApp({}, stub.port);
      await deliver(app, "pull_request", pullRequestPayload("opened"));
      const failed = () =>
        app
          .log()
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { level: number; msg: string })
          .filter((l) => l.level >= 50);
      await expect.poll(() => failed().length, { timeout: scaled(10_000) }).toBe(1);
      expect(failed()[0]!.msg).toMatch(
        /^Codertocat\/Hello-World#2: GitHub answered 404 to GET http:\/\/127\.0\.0\.1:\d+\/api\/v3\/repos\/Codertocat\/Hello-World\/commits\/\w+\/check-runs/,
      );
      expect(app.log()).not.toMatch(/"stack"|authorization|x-github-request-id/i);
    },
  );
});
