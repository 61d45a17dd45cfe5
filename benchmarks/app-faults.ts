/**
 * The app as a process against a GitHub stand-in that throws issue 26's faults at it, for 10 PRs that
 * each add a valid adapter (validate, then one dispatch): answers lost after GitHub acted (a check run,
 * a dispatch, a comment-free flow's writes), hung check updates (LORAGATE_GITHUB_TIMEOUT_MS=5000), and
 * a 15 s outage of check updates (500s). Goals: every check ends, nothing is made twice. Anchor: the
 * same 10 PRs against the stand-in without faults, in the same run.
 */
import examples from "@octokit/webhooks-examples";
import { type AppProcess, deliver, startApp, startGitHub } from "../test/support/app-process.ts";
import { type Fault, FakeGitHub } from "../test/support/fake-github.ts";
import { FIXTURE_ROOT, readTree } from "../test/support/registry.ts";

const ADAPTER = "adapters/math-gsm8k/";
const PRS = 10;
const OUTAGE_MS = 15_000;

/** pull_request.opened from @octokit/webhooks-examples, installed (test/support/github.ts imports vitest). */
function openedPayload(number: number, head: string, base: string) {
  const sections = examples as unknown as { name: string; examples: Record<string, unknown>[] }[];
  const payload = structuredClone(
    sections.find((e) => e.name === "pull_request")!.examples.find((e) => e.action === "opened")!,
  ) as {
    number: number;
    installation?: object;
    pull_request: {
      number: number;
      head: { sha: string };
      base: { sha: string };
      author_association: string;
    };
  };
  payload.installation = { id: 1 };
  payload.number = payload.pull_request.number = number;
  payload.pull_request.head.sha = head;
  payload.pull_request.base.sha = base;
  payload.pull_request.author_association = "OWNER";
  return payload;
}

async function tenPullRequests(faults: (startedAt: number) => Fault[]) {
  const fixture = new Map(
    [...readTree(FIXTURE_ROOT)].filter((entry): entry is [string, Buffer] => Buffer.isBuffer(entry[1])),
  );
  const github = new FakeGitHub();
  const base = github.commit(new Map([...fixture].filter(([path]) => !path.startsWith(ADAPTER))));
  github.labels.set(42, ["adapter-proposal", "approved"]);
  const files = [...fixture.keys()].filter((path) => path.startsWith(ADAPTER));
  const heads = Array.from({ length: PRS }, (_, i) => {
    const head = github.commit(new Map(fixture), base);
    github.pulls.set(2 + i, { head, base, association: "OWNER", files });
    return head;
  });
  const stub = await startGitHub(github.route);
  let app: AppProcess | undefined;
  try {
    app = await startApp(
      { LOG_LEVEL: "warn", LORAGATE_GITHUB_TIMEOUT_MS: "5000", LORAGATE_WRITE_INTERVAL_MS: undefined },
      stub.port,
    );
    const started = performance.now();
    github.faults.push(...faults(Date.now()));
    await Promise.all(
      heads.map((head, i) => deliver(app!, "pull_request", openedPayload(2 + i, head, base))),
    );
    const done = () =>
      heads.every((head) =>
        github.checks.some(
          (c) => c.head_sha === head && c.name === "loragate/validate" && c.status === "completed",
        ),
      ) && new Set(github.dispatches.map((d) => d.head_sha)).size === PRS;
    const deadline = Date.now() + 300_000;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const allDoneMs = performance.now() - started;
    const perHead = (name: string) =>
      heads.map((head) => github.checks.filter((c) => c.head_sha === head && c.name === name).length);
    return {
      prs: PRS,
      allChecksEnded: done(),
      allDoneMs,
      validateChecksPerPr: Math.max(...perHead("loragate/validate")),
      evaluateChecksPerPr: Math.max(...perHead("loragate/evaluate")),
      duplicates:
        perHead("loragate/validate").reduce((n, c) => n + Math.max(0, c - 1), 0) +
        perHead("loragate/evaluate").reduce((n, c) => n + Math.max(0, c - 1), 0) +
        (github.dispatches.length - new Set(github.dispatches.map((d) => d.head_sha)).size),
      conclusions: [
        ...new Set(
          heads.map(
            (head) =>
              github.checks.find((c) => c.head_sha === head && c.name === "loragate/validate")?.conclusion,
          ),
        ),
      ],
      faultsLeft: github.faults.filter((f) => (f.untilMs === undefined ? (f.times ?? 1) > 0 : false)).length,
    };
  } finally {
    app?.child.kill("SIGKILL");
    await app?.exited;
    stub.server.closeAllConnections();
    stub.server.close();
  }
}

export async function benchAppFaults(): Promise<Record<string, unknown>> {
  const clean = await tenPullRequests(() => []);
  const faulted = await tenPullRequests((now) => [
    { at: /^POST \/check-runs$/, kind: "lost", times: 3 },
    { at: /^POST \/actions\/workflows\/loragate\.yml\/dispatches$/, kind: "lost", times: 2 },
    { at: /^PATCH \/check-runs\/\d+$/, kind: "hang", times: 2 },
    { at: /^PATCH \/check-runs\/\d+$/, kind: 500, untilMs: now + OUTAGE_MS },
  ]);
  const ratio = faulted.allDoneMs / clean.allDoneMs;
  console.log(
    `10 PRs, fault-free: all checks done in ${(clean.allDoneMs / 1000).toFixed(1)} s, ${clean.duplicates} duplicates`,
  );
  console.log(
    `10 PRs with lost answers (3 check creations, 2 dispatches), 2 hung check updates and a ${OUTAGE_MS / 1000} s outage of check updates: all checks ended: ${faulted.allChecksEnded}, conclusions ${faulted.conclusions.join(", ")}, ${faulted.duplicates} duplicates, done in ${(faulted.allDoneMs / 1000).toFixed(1)} s = ${ratio.toFixed(2)}x the fault-free run`,
  );
  return { faults: { clean, faulted, ratio, outageMs: OUTAGE_MS } };
}
