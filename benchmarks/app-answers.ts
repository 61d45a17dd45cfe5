/**
 * The app as a process (as operators run it) against a local GitHub stand-in that answers at once:
 * N pull requests opened together. Measures each delivery's answer time and the time until every
 * `loragate/validate` check is completed. Anchor: the writes those PRs need, at the pace Probot's
 * throttle allows (one write a second across the process), measured as their count.
 */
import examples from "@octokit/webhooks-examples";
import {
  type AppProcess,
  deliver,
  noAdapterChangeRoute,
  startApp,
  startGitHub,
} from "../test/support/app-process.ts";

/** pull_request.opened from @octokit/webhooks-examples, installed (test/support/github.ts imports vitest). */
function openedPayload(number: number) {
  const sections = examples as unknown as { name: string; examples: Record<string, unknown>[] }[];
  const payload = structuredClone(
    sections.find((e) => e.name === "pull_request")!.examples.find((e) => e.action === "opened")!,
  ) as { number: number; installation?: object; pull_request: { number: number; head: { sha: string } } };
  payload.installation = { id: 1 };
  payload.number = payload.pull_request.number = number;
  payload.pull_request.head.sha = number.toString(16).padStart(40, "0");
  return payload;
}

/** Writes per PR that changes no adapter: create the check, complete it. */
const WRITES_PER_PR = 2;

async function openAtOnce(count: number) {
  let completed = 0;
  const stub = await startGitHub(noAdapterChangeRoute(() => completed++));
  let app: AppProcess | undefined;
  try {
    app = await startApp({ LOG_LEVEL: "warn", LORAGATE_WRITE_INTERVAL_MS: undefined }, stub.port);
    const payloads = Array.from({ length: count }, (_, i) => openedPayload(100 + i));
    const started = performance.now();
    const answers = await Promise.all(payloads.map((p) => deliver(app!, "pull_request", p)));
    while (completed < count) await new Promise((resolve) => setTimeout(resolve, 20));
    const allDoneMs = performance.now() - started;
    if (answers.some((a) => a.status !== 200)) throw new Error("a delivery was not accepted");
    return { prs: count, maxAnswerMs: Math.max(...answers.map((a) => a.ms)), allDoneMs };
  } finally {
    app?.child.kill("SIGKILL");
    await app?.exited;
    stub.server.close();
  }
}

export async function benchAppAnswers(): Promise<Record<string, unknown>> {
  const rows = [];
  for (const count of [1, 3, 10]) {
    const row = await openAtOnce(count);
    const pacedMs = count * WRITES_PER_PR * 1000;
    rows.push({ ...row, writesAtThrottlePaceMs: pacedMs, ratio: row.allDoneMs / pacedMs });
    console.log(
      `${String(count).padStart(2)} PRs at once: slowest answer ${row.maxAnswerMs.toFixed(0)} ms (goal < 1000), all checks done in ${(row.allDoneMs / 1000).toFixed(2)} s = ${(row.allDoneMs / pacedMs).toFixed(2)}x their ${count * WRITES_PER_PR} writes at the throttle's pace (goal <= 1.5x)`,
    );
  }
  return { answers: rows };
}
