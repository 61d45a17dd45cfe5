/**
 * The app as N processes behind a round-robin, against the GitHub stand-in: 10 PRs, each opened
 * (validated, dispatched), its run finished (reported: scorecard, bar, evaluate). With 3 replicas on a
 * real redis-server (LORAGATE_REDIS_URL) every delivery is also sent to the next replica at once (the
 * duplicates a round-robin and GitHub's redeliveries make). Anchor: 1 replica with no store, the same
 * 10 PRs, in the same run. Figures: time to all scorecards, GitHub writes and their peak per second
 * (one shared throttle: GitHub's 1 write a second), duplicates, and the replicas' CPU.
 */
import { readFileSync } from "node:fs";
import { type AppProcess, deliver, startApp, startGitHub } from "../test/support/app-process.ts";
import { registryOnGitHub } from "../test/support/journey.ts";
import { startRedis } from "../test/support/redis-server.ts";

const PRS = 10;

/** CPU seconds a process has used (Linux /proc, user + system). */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

async function tenPullRequests(replicaCount: number) {
  const { github, openPullRequest, finishRun, stateOf } = registryOnGitHub();
  const writes: number[] = [];
  const stub = await startGitHub((req, body) => {
    if (!["GET", "HEAD"].includes(req.method!) && !/access_tokens$/.test(req.url!)) writes.push(Date.now());
    return github.route(req, body);
  });
  const redis = replicaCount > 1 ? await startRedis() : undefined;
  let replicas: AppProcess[] = [];
  try {
    const env = {
      LOG_LEVEL: "warn",
      LORAGATE_WRITE_INTERVAL_MS: undefined,
      ...(redis ? { LORAGATE_REDIS_URL: redis.url } : {}),
    };
    replicas = await Promise.all(Array.from({ length: replicaCount }, () => startApp(env, stub.port)));
    const cpuBefore = replicas.map((app) => cpuSeconds(app.child.pid!));
    let next = 0;
    const send = (event: string, payload: unknown) => {
      const id = `d-${Math.random().toString(36).slice(2)}`;
      const first = next++ % replicas.length;
      const targets = replicas.length > 1 ? [first, (first + 1) % replicas.length] : [first];
      return Promise.all(targets.map((i) => deliver(replicas[i]!, event, payload, undefined, id)));
    };
    const wait = async (done: () => boolean) => {
      const deadline = Date.now() + 600_000;
      while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return done();
    };
    const started = performance.now();
    const prs = Array.from({ length: PRS }, (_, i) => openPullRequest(i + 2));
    await Promise.all(prs.map((pr) => send("pull_request", pr.payload)));
    await wait(() => github.dispatches.length >= PRS);
    const dispatchedMs = performance.now() - started;
    await Promise.all(prs.map(async (pr) => send("workflow_run", await finishRun(pr))));
    const finished = await wait(() => prs.every((pr) => stateOf(pr).evaluate[0] === "success"));
    const allDoneMs = performance.now() - started;
    const perCommit = new Map<string, number>();
    for (const c of github.checks)
      perCommit.set(`${c.head_sha} ${c.name}`, (perCommit.get(`${c.head_sha} ${c.name}`) ?? 0) + 1);
    const peak = Math.max(...writes.map((t) => writes.filter((u) => u >= t && u < t + 1_000).length));
    return {
      replicas: replicaCount,
      store: redis ? "redis-server" : "none",
      finished,
      dispatchedMs: Math.round(dispatchedMs),
      allDoneMs: Math.round(allDoneMs),
      writes: writes.length,
      peakWritesPerSecond: peak,
      duplicates: {
        checks: [...perCommit.values()].reduce((n, c) => n + c - 1, 0),
        dispatches: github.dispatches.length - PRS,
        comments: github.comments.length - PRS,
      },
      cpuSeconds: Number(
        replicas.reduce((n, app, i) => n + cpuSeconds(app.child.pid!) - cpuBefore[i]!, 0).toFixed(2),
      ),
    };
  } finally {
    for (const app of replicas) app.child.kill("SIGKILL");
    await Promise.all(replicas.map((app) => app.exited));
    await redis?.stop();
    stub.server.closeAllConnections();
    stub.server.close();
  }
}

export async function benchAppReplicas(): Promise<Record<string, unknown>> {
  const one = await tenPullRequests(1);
  const three = await tenPullRequests(3);
  const ratio = three.allDoneMs / one.allDoneMs;
  for (const run of [one, three])
    console.log(
      `${run.replicas} replica(s), store ${run.store}: ${PRS} PRs dispatched in ${(run.dispatchedMs / 1000).toFixed(1)} s, all reported in ${(run.allDoneMs / 1000).toFixed(1)} s; ${run.writes} writes, at most ${run.peakWritesPerSecond} in a second; duplicates ${JSON.stringify(run.duplicates)}; ${run.cpuSeconds} CPU s`,
    );
  console.log(
    `3 replicas (each delivery sent twice) take ${ratio.toFixed(2)}x the time of 1: writes, paced at 1 a second for the installation, bound both`,
  );
  return { replicas: { one, three, ratio } };
}
