import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { afterAll, describe, type ExpectStatic, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import { correlationId } from "../src/core/review/correlation.ts";
import { type AppProcess, deliver, startApp, startGitHub, stopStarted } from "./support/app-process.ts";
import { FakeGitHub } from "./support/fake-github.ts";
import { pullRequestPayload, workflowRunPayload } from "./support/github.ts";
import { completeForFixture, FIXTURE_ROOT, readTree } from "./support/registry.ts";
import { scaled } from "./support/load.ts";

// What an operator runs and reads: health, readiness and metrics endpoints, the log, and a start that
// refuses what would hang it (issue 28 item 6; issue 27 items 3, 13, 14; issue 26 item 8).
const ADAPTER = "adapters/math-gsm8k/";
const fixture = new Map(
  [...readTree(FIXTURE_ROOT)].filter((entry): entry is [string, Buffer] => Buffer.isBuffer(entry[1])),
);

// The tests run at once (each its own app process and stand-in, mostly waiting), each asserting with its
// own expect; the processes are stopped and the folders removed when all are done.
const folders: string[] = [];
afterAll(async () => {
  await stopStarted();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
const polling = (expect: ExpectStatic) => (what: () => unknown) =>
  expect.poll(what, { timeout: scaled(60_000), interval: 100 });
const get = (app: AppProcess, path: string) => fetch(`http://127.0.0.1:${app.port}${path}`);

/** The value of one sample of a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text
    .split("\n")
    .find((l) =>
      l.startsWith(`${name}{`) || l.startsWith(`${name} `)
        ? Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))
        : false,
    );
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("the app as operators run and watch it", { timeout: scaled(120_000) }, () => {
  it.concurrent(
    "after a PR's journey (validated, evaluated, reported), /metrics counts it; /healthz and /readyz answer",
    async ({ expect }) => {
      const until = polling(expect);
      const github = new FakeGitHub();
      const baseSha = github.commit(new Map([...fixture].filter(([path]) => !path.startsWith(ADAPTER))));
      github.labels.set(42, ["adapter-proposal", "approved"]);
      const head = github.commit(new Map(fixture), baseSha);
      const files = [...fixture.keys()].filter((path) => path.startsWith(ADAPTER));
      github.pulls.set(2, { head, base: baseSha, association: "OWNER", files });
      github.faults.push({ at: /^PATCH \/check-runs\/\d+$/, kind: 502 }); // one failed request, retried
      const stub = await startGitHub(github.route);
      const app = await startApp({ LOG_FORMAT: "json" }, stub.port);

      const opened = pullRequestPayload("opened");
      opened.pull_request.head.sha = head;
      opened.pull_request.base.sha = baseSha;
      opened.pull_request.author_association = "OWNER";
      await deliver(app, "pull_request", opened);
      await until(() => github.dispatches.length).toBe(1);
      const run = github.runs[0]!;
      const results = await completeForFixture({ ...sampleResults(), head_sha: head });
      github.artifacts.set(
        run.id,
        Buffer.from(zipSync({ "results.json": Buffer.from(JSON.stringify(results)) })),
      );
      Object.assign(run, { status: "completed", conclusion: "success" });
      const completed = workflowRunPayload(correlationId(2, head), "success");
      Object.assign(completed.workflow_run, {
        id: run.id,
        event: "workflow_dispatch",
        head_branch: github.branch,
      });
      completed.repository.default_branch = github.branch;
      await deliver(app, "workflow_run", completed);
      await until(() => github.checks.find((c) => c.name === "loragate/bar")?.conclusion).toBe("success");
      await until(() => app.log()).toContain("passed");

      const metrics = await (await get(app, "/metrics")).text();
      expect(
        sample(metrics, "loragate_deliveries_total", { event: "pull_request.opened", outcome: "decided" }),
      ).toBe(1);
      expect(
        sample(metrics, "loragate_deliveries_total", { event: "workflow_run.completed", outcome: "decided" }),
      ).toBe(1);
      expect(sample(metrics, "loragate_work_seconds_count", { step: "review" })).toBe(1);
      expect(sample(metrics, "loragate_work_seconds_count", { step: "report" })).toBe(1);
      expect(sample(metrics, "loragate_work_queue_depth")).toBe(0);
      expect(sample(metrics, "loragate_evaluations_in_flight")).toBe(0); // dispatched, then reported
      expect(
        sample(metrics, "loragate_github_requests_total", {
          method: "PATCH",
          route: "/repos/{owner}/{repo}/check-runs/{id}",
          status: "502",
        }),
      ).toBe(1);
      expect(
        sample(metrics, "loragate_github_requests_total", {
          method: "POST",
          route: "/repos/{owner}/{repo}/actions/workflows/loragate.yml/dispatches",
          status: "204",
        }),
      ).toBe(1);
      expect(metrics).toContain("# TYPE loragate_reconciler_actions_total counter");

      expect(await (await get(app, "/healthz")).text()).toBe("ok\n");
      const ready = await get(app, "/readyz");
      expect(ready.status).toBe(200);

      // the log: decision lines name the PR, the commit, the adapter and the delivery; the failed request is one line
      const lines = app
        .log()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const decided = lines.filter((l) => l.outcome !== undefined);
      expect(decided.map((l) => [l.pr, l.sha, l.adapter])).toEqual([
        ["Codertocat/Hello-World#2", head.slice(0, 7), "math-gsm8k@0.2.0"],
        ["Codertocat/Hello-World#2", head.slice(0, 7), "math-gsm8k@0.2.0"],
      ]);
      expect(
        decided.every((l) => typeof l.delivery === "string" && String(l.msg).includes(String(l.delivery))),
      ).toBe(true);
      expect(lines.filter((l) => String(l.msg).startsWith("GitHub call failed")).map((l) => l.msg)).toEqual([
        "GitHub call failed: PATCH /repos/{owner}/{repo}/check-runs/{id}: 502",
      ]);
      // no signature or credentials in any line, and one "name" key per line
      expect(app.log()).not.toMatch(/x-hub-signature|authorization/i);
      expect(
        app
          .log()
          .split("\n")
          .filter((l) => (l.match(/"name":/g) ?? []).length > 1),
      ).toEqual([]);
    },
  );

  it.concurrent("/readyz says 503 and why when GitHub does not answer the app", async ({ expect }) => {
    const until = polling(expect);
    const stub = await startGitHub((req) =>
      req.url === "/app" ? { status: 503, json: { message: "down" } } : undefined,
    );
    const app = await startApp({ LORAGATE_GITHUB_TIMEOUT_MS: "500" }, stub.port);
    // kept by a loop in the background: the first answer may come before its first question's
    await until(async () => (await get(app, "/readyz")).status).toBe(503);
    await until(async () => (await get(app, "/readyz")).text()).toMatch(
      /^GitHub does not answer the app: GitHub answered 503 to GET /,
    );
  });

  it.concurrent(
    "a webhook body over 25 MB is refused with 413 before it is read: the app answers while the body is still being sent",
    async ({ expect }) => {
      const stub = await startGitHub(() => undefined);
      const app = await startApp({}, stub.port);
      for (const chunked of [false, true]) {
        // A raw connection, so that the answer is seen while the body is still being sent.
        const answer = await new Promise<string>((resolve) => {
          const socket = connect(app.port, "127.0.0.1");
          let received = "";
          socket.on("data", (chunk: Buffer) => {
            received += chunk.toString();
            if (received.includes("\r\n\r\n")) socket.destroy(); // the answer's head: enough
          });
          socket.on("error", () => undefined); // writing into a closed connection
          socket.on("close", () => resolve(received));
          socket.write(
            [
              "POST /api/github/webhooks HTTP/1.1",
              "host: 127.0.0.1",
              "content-type: application/json",
              "x-github-event: push",
              "x-github-delivery: d-large",
              `x-hub-signature-256: sha256=${"0".repeat(64)}`, // so that Probot would read the body
              chunked ? "transfer-encoding: chunked" : `content-length: ${400 << 20}`,
              "",
              "",
            ].join("\r\n"),
          );
          // 30 MB sent, of 400 MB announced: the answer comes before the rest would be
          const mb = Buffer.alloc(1 << 20, 0x20);
          let sent = 0;
          const more = () => {
            while (sent < 30 && !socket.destroyed) {
              sent++;
              const ok = socket.write(
                chunked
                  ? Buffer.concat([Buffer.from(`${mb.length.toString(16)}\r\n`), mb, Buffer.from("\r\n")])
                  : mb,
              );
              if (!ok) return void socket.once("drain", more);
            }
          };
          more();
          setTimeout(() => socket.destroy(), scaled(20_000));
        });
        expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      }
      expect(await (await get(app, "/healthz")).text()).toBe("ok\n");
    },
  );

  it.concurrent(
    "PRIVATE_KEY_PATH that is a FIFO or /dev/zero: exit 2 at once with one line, nothing read",
    async ({ expect }) => {
      const folder = mkdtempSync(join(tmpdir(), "loragate-key-"));
      folders.push(folder);
      const fifo = join(folder, "key.pem");
      execFileSync("mkfifo", [fifo]);
      for (const [path, says] of [
        [fifo, /PRIVATE_KEY_PATH is not a regular file \(a FIFO\)/],
        ["/dev/zero", /PRIVATE_KEY_PATH is not a regular file \(a device or socket\)/],
      ] as const) {
        const started = performance.now();
        const app = await startApp({ PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: path });
        expect(await app.exited).toBe(2);
        expect(performance.now() - started).toBeLessThan(scaled(20_000)); // not hung on the FIFO
        expect(app.log()).toMatch(says);
      }
    },
  );

  it.concurrent(
    "a port in use or a HOST that does not resolve: exit 2 with one line, no stack",
    async ({ expect }) => {
      const taken = await startGitHub(() => undefined); // anything listening on 127.0.0.1
      for (const env of [{ PORT: String(taken.port) }, { HOST: "no-such-host.invalid" }]) {
        const app = await startApp(env);
        expect(await app.exited).toBe(2);
        const lines = app.log().trim().split("\n");
        expect(lines.filter((l) => l.startsWith("loragate: the app did not start:"))).toHaveLength(1);
        expect(app.log()).not.toMatch(/"stack"|\n\s+at /);
      }
    },
  );

  it.concurrent("the pretty log (LOG_FORMAT unset) starts every line with its time", async ({ expect }) => {
    const until = polling(expect);
    const stub = await startGitHub(() => undefined);
    const app = await startApp({ LOG_FORMAT: undefined }, stub.port);
    await until(() => app.log()).toContain("Listening on");
    const lines = app
      .log()
      .trim()
      .split("\n")
      .filter((l) => /INFO|WARN|ERROR/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
  });
});
