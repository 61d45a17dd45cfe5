import { afterEach, describe, expect, it } from "vitest";
import { deliver, startApp, startGitHub, stopStarted } from "./support/app-process.ts";
import { registryOnGitHub } from "./support/journey.ts";
import { startRedis } from "./support/redis-server.ts";

// Issue 38 item 3: three replicas behind a round-robin on one real Redis, every delivery sent twice
// to two replicas at once. What GitHub holds at the end is what is counted.
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
afterEach(async () => {
  await stopStarted();
  await redis?.stop();
  redis = undefined;
});

const until = (what: () => unknown) => expect.poll(what, { timeout: 120_000, interval: 200 });
const WRITE_INTERVAL_MS = 100;

describe("replicas on a shared store (issue 38)", { timeout: 300_000 }, () => {
  it("3 replicas, each delivery to two at once, 10 PRs (2 pushed again mid-way) and 2 merges: nothing twice, nothing lost, no stale commit sent to the GPU, writes within the shared throttle", async () => {
    const { github, openPullRequest, finishRun, merge, stateOf } = registryOnGitHub();
    const writes: number[] = [];
    const stub = await startGitHub((req, body) => {
      if (!["GET", "HEAD"].includes(req.method!) && !/access_tokens$/.test(req.url!)) writes.push(Date.now());
      return github.route(req, body);
    });
    redis = await startRedis();
    const env = { LORAGATE_REDIS_URL: redis.url, LORAGATE_WRITE_INTERVAL_MS: String(WRITE_INTERVAL_MS) };
    const replicas = await Promise.all([0, 1, 2].map(() => startApp(env, stub.port)));
    let next = 0;
    /** The round-robin's pick, and the same delivery (same id) to the next replica at the same time. */
    const send = async (event: string, payload: unknown, id = `d-${Math.random().toString(36).slice(2)}`) => {
      const first = next++ % replicas.length;
      const answers = await Promise.all(
        [first, (first + 1) % replicas.length].map((i) =>
          deliver(replicas[i]!, event, payload, undefined, id),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
    };

    const prs = Array.from({ length: 10 }, (_, i) => openPullRequest(i + 2));
    // PRs 2 and 3 are pushed again before their `opened` is handled: `opened` and `synchronize` land
    // on different replicas at once, and only the new head may reach the GPU.
    const stale = prs.slice(0, 2).map((pr) => {
      const old = pr.head;
      const pushed = openPullRequest(pr.number);
      const synchronize = { ...pushed.payload, action: "synchronize", before: old };
      Object.assign(pr, { head: pushed.head });
      return { old, synchronize };
    });
    await Promise.all([
      ...prs.map((pr, i) =>
        send(
          "pull_request",
          i < 2
            ? {
                ...pr.payload,
                pull_request: {
                  ...pr.payload.pull_request,
                  head: { ...pr.payload.pull_request.head, sha: stale[i]!.old },
                },
              }
            : pr.payload,
        ),
      ),
      ...stale.map(({ synchronize }) => send("pull_request", synchronize)),
    ]);
    await until(() => github.dispatches.length).toBe(prs.length);

    await Promise.all(prs.map(async (pr) => send("workflow_run", await finishRun(pr))));
    await until(() => prs.map((pr) => stateOf(pr).scorecards)).toEqual(prs.map(() => 1));
    await Promise.all(prs.slice(2, 4).map((pr) => send("pull_request", merge(pr))));
    await until(() => github.commits).toBe(2);

    const reported = {
      validate: ["success"],
      evaluate: ["success"],
      bar: ["success"],
      dispatches: 1,
      scorecards: 1,
    };
    expect(prs.map(stateOf)).toEqual(prs.map(() => reported));
    // no check twice on any commit, no dispatch of a replaced head, one comment per PR
    const perCommit = new Map<string, number>();
    for (const c of github.checks)
      perCommit.set(`${c.head_sha} ${c.name}`, (perCommit.get(`${c.head_sha} ${c.name}`) ?? 0) + 1);
    expect([...perCommit.values()].filter((n) => n > 1)).toEqual([]);
    expect(github.dispatches.filter((d) => stale.some((s) => s.old === d.head_sha))).toEqual([]);
    expect(github.dispatches).toHaveLength(prs.length);
    expect(github.comments).toHaveLength(prs.length);
    expect(github.checks.filter((c) => c.status !== "completed")).toEqual([]);
    // the replicas shared one write throttle: no 2 s window holds more writes than its turns
    const most = Math.max(...writes.map((t) => writes.filter((u) => u >= t && u < t + 2_000).length));
    const gaps = writes.slice(1).map((t, i) => t - writes[i]!);
    console.log(
      `${writes.length} writes; at most ${most} in any 2 s, the closest ${Math.min(...gaps)} ms apart (turns every ${WRITE_INTERVAL_MS} ms)`,
    );
    expect(most).toBeLessThanOrEqual(2_000 / WRITE_INTERVAL_MS + 1);
    const log = replicas.map((app) => app.log()).join("");
    expect(log).toContain("is another replica's");
  });

  it("the store down: the PR's check says it waits and nothing runs (no GPU); the store back, the reconciler finishes the work within seconds", async () => {
    const { github, openPullRequest, checksOf, stateOf } = registryOnGitHub();
    const stub = await startGitHub(github.route);
    redis = await startRedis();
    const { url, port } = redis;
    const app = await startApp({ LORAGATE_REDIS_URL: url, LORAGATE_RETRY_SECONDS: "2" }, stub.port);
    await redis.stop();
    const pr = openPullRequest(2);
    await deliver(app, "pull_request", pr.payload);
    await until(() => checksOf(pr.head, "loragate/validate").map((c) => [c.status, c.output.title])).toEqual([
      ["queued", "Waiting: the app's replicas cannot coordinate (shared store down)"],
    ]);
    expect(checksOf(pr.head, "loragate/validate")[0]!.output.summary).toMatch(
      /^the replicas' shared store does not answer: Redis at 127\.0\.0\.1:\d+/,
    );
    expect(github.dispatches).toEqual([]);
    const readiness = () => fetch(`http://127.0.0.1:${app.port}/readyz`);
    await until(async () => (await readiness()).text()).toMatch(/shared store does not answer/);
    expect((await readiness()).status).toBe(503);

    redis = await startRedis(port);
    await until(() => stateOf(pr)).toMatchObject({ validate: ["success"], dispatches: 1 });
    // the reconciler logs what it did once its pass ends, after the dispatch
    await until(() => app.log()).toMatch(
      /reconciler: Codertocat\/Hello-World#2 \w{7}: validation did not finish/,
    );
  });
});
