/**
 * While an evaluation waits or runs, its check says where it stands, from GitHub's queue of the
 * evaluate workflow: position among queued evaluations, runners busy, expected start; written only when
 * that text changes.
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { showQueuePosition } from "../src/app/show-queue-position.ts";
import { queueStatus, type QueueSnapshot } from "../src/core/review/queue-status.ts";
import { API, REPO, useNock } from "./support/github.ts";

useNock();
const NOW = Date.parse("2026-12-07T12:00:00Z");
const min = 60_000;
const at = (minutesFromNow: number) => NOW + minutesFromNow * min;

// two runners busy (started 10 and 25 minutes ago), three evaluations queued; recent runs took 20-40 min
const snapshot: QueueSnapshot = {
  runs: [
    { id: 1, correlation: "pr1-111111111111", status: "in_progress", createdAt: at(-30), startedAt: at(-25) },
    { id: 2, correlation: "pr2-222222222222", status: "in_progress", createdAt: at(-12), startedAt: at(-10) },
    { id: 5, correlation: "pr5-555555555555", status: "queued", createdAt: at(-2) },
    { id: 3, correlation: "pr3-333333333333", status: "queued", createdAt: at(-8) },
    { id: 4, correlation: "pr4-444444444444", status: "queued", createdAt: at(-5) },
  ],
  recentDurations: [20 * min, 40 * min, 30 * min],
};

describe("the queue position of an evaluation", () => {
  it("says its place among queued evaluations, the runners busy, and when it should start", () => {
    const first = queueStatus({ snapshot, correlation: "pr3-333333333333", now: NOW })!;
    expect(first.title).toBe("Queued: 1st of 3 waiting for a GPU runner");
    expect(first.summary).toContain(
      "Position 1 of 3 among queued evaluations; 2 runners busy with evaluations.",
    );
    // the runner that started 25 min ago frees first, at +5 min (a typical run: 30 min)
    expect(first.summary).toContain(
      "Expected to start about 12:05 UTC (recent evaluations took 30 min (median of the last 3)).",
    );
    // the second waits for the other runner (+20 min), the third for the first runner's next run (+35)
    expect(queueStatus({ snapshot, correlation: "pr4-444444444444", now: NOW })!.summary).toContain(
      "about 12:20 UTC",
    );
    const third = queueStatus({ snapshot, correlation: "pr5-555555555555", now: NOW })!;
    expect(third.title).toBe("Queued: 3rd of 3 waiting for a GPU runner");
    expect(third.summary).toContain("about 12:35 UTC");
  });

  it("says when a running one should finish, and what is known when nothing runs or nothing finished yet", () => {
    const running = queueStatus({ snapshot, correlation: "pr1-111111111111", now: NOW })!;
    expect(running.title).toBe("Running on a GPU runner");
    expect(running.summary).toContain("started at 11:35 UTC; expected to finish about 12:05 UTC");
    expect(running.summary).toContain("3 evaluations waiting, 2 runners busy with evaluations");
    const idle = { runs: snapshot.runs.filter((r) => r.status === "queued"), recentDurations: [] };
    const waiting = queueStatus({ snapshot: idle, correlation: "pr3-333333333333", now: NOW })!;
    expect(waiting.summary).toContain("0 runners busy");
    expect(waiting.summary).toContain("none is busy with an evaluation");
    expect(waiting.summary).toContain("no finished evaluation yet to estimate from");
    expect(queueStatus({ snapshot, correlation: "pr9-999999999999", now: NOW })).toBeUndefined();
  });

  it("does not change as time passes, only as the queue moves (no write per tick)", () => {
    const later = queueStatus({ snapshot, correlation: "pr4-444444444444", now: NOW + 60_000 });
    expect(later).toEqual(queueStatus({ snapshot, correlation: "pr4-444444444444", now: NOW }));
  });
});

describe("showQueuePosition", () => {
  const run = (id: number, correlation: string, status: string, created: number, started?: number) => ({
    id,
    status,
    display_title: `loragate ${correlation}`,
    created_at: new Date(created).toISOString(),
    run_started_at: started ? new Date(started).toISOString() : null,
    updated_at: new Date(NOW).toISOString(),
  });
  const head = (n: number) => String(n).repeat(40);
  const check = (n: number, output: { title: string | null; summary: string | null }, status = "queued") => ({
    total_count: 1,
    check_runs: [{ id: 100 + n, status, external_id: `evaluate:pr${n}-${head(n).slice(0, 12)}`, output }],
  });
  /** GitHub's queue: PR 1 running, PR 3 and 4 queued; PR 4 has pushed since (its run is superseded). */
  const mockQueue = (checks: Record<number, ReturnType<typeof check>>) => {
    const scope = nock(API)
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "queued", per_page: 100 })
      .reply(200, {
        workflow_runs: [
          run(3, `pr3-${head(3).slice(0, 12)}`, "queued", at(-8)),
          run(4, `pr4-${head(4).slice(0, 12)}`, "queued", at(-5)),
        ],
      })
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "in_progress", per_page: 100 })
      .reply(200, { workflow_runs: [run(1, `pr1-${head(1).slice(0, 12)}`, "in_progress", at(-30), at(-25))] })
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "success", per_page: 20 })
      .reply(200, { workflow_runs: [run(9, "pr9-999999999999", "completed", at(-90), at(-60))] })
      .get(`/repos/${REPO}/pulls`)
      .query({ state: "open", per_page: 100 })
      .reply(
        200,
        [1, 3, 4].map((n) => ({ number: n, head: { sha: n === 4 ? head(7) : head(n) } })),
      );
    for (const n of [1, 3])
      scope
        .get(`/repos/${REPO}/commits/${head(n)}/check-runs`)
        .query({ check_name: "loragate/evaluate", filter: "latest" })
        .reply(200, checks[n]);
    return scope;
  };
  const github = () => new Octokit({ auth: "test-token", request: { retries: 0 } });

  it("writes each waiting check's position once, and nothing while the queue stands still", async () => {
    const written: Record<number, { title: string; summary: string }> = {};
    const scope = mockQueue({
      1: check(1, { title: null, summary: null }),
      3: check(3, { title: null, summary: null }),
    });
    scope
      .patch(/\/repos\/.+\/check-runs\/10[13]$/)
      .times(2)
      .reply(200, (uri, body) => {
        written[Number(uri.slice(-3)) - 100] = (
          body as { output: { title: string; summary: string } }
        ).output;
        return {};
      });
    expect(
      await showQueuePosition({
        github: github(),
        repo: { owner: "Codertocat", repo: "Hello-World" },
        now: NOW,
      }),
    ).toBe(2);
    expect(scope.pendingMocks()).toEqual([]);
    expect(written[1]!.title).toBe("Running on a GPU runner");
    expect(written[3]!.title).toBe("Queued: 1st of 2 waiting for a GPU runner"); // the superseded run counts in GitHub's queue
    expect(written[3]!.summary).toContain("1 runner busy with evaluations");
    expect(written[3]!.summary).toContain(
      "Expected to start about 12:35 UTC (recent evaluations took 60 min (median of the last 1))",
    );

    // the same queue a tick later: the checks already say it, no request writes anything
    const again = mockQueue({ 1: check(1, written[1]!), 3: check(3, written[3]!) });
    expect(
      await showQueuePosition({
        github: github(),
        repo: { owner: "Codertocat", repo: "Hello-World" },
        now: NOW + min,
      }),
    ).toBe(0);
    expect(again.pendingMocks()).toEqual([]);
  });

  it("never touches a completed check, and reads only the queue when nothing waits", async () => {
    const scope = mockQueue({
      1: check(1, { title: "Evaluated", summary: "done" }, "completed"),
      3: check(3, { title: "Waiting for a maintainer", summary: "x" }, "completed"),
    });
    expect(
      await showQueuePosition({
        github: github(),
        repo: { owner: "Codertocat", repo: "Hello-World" },
        now: NOW,
      }),
    ).toBe(0);
    expect(scope.pendingMocks()).toEqual([]);
    const empty = nock(API)
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "queued", per_page: 100 })
      .reply(200, { workflow_runs: [] })
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "in_progress", per_page: 100 })
      .reply(200, { workflow_runs: [] });
    expect(
      await showQueuePosition({
        github: github(),
        repo: { owner: "Codertocat", repo: "Hello-World" },
        now: NOW,
      }),
    ).toBe(0);
    expect(empty.pendingMocks()).toEqual([]);
  });
});
