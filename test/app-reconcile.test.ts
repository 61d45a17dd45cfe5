import { Octokit } from "@octokit/rest";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { ABANDONED_AFTER_MS, EVALUATION_DEADLINE_MS, reconcileRepository } from "../src/app/reconcile.ts";
import { API, mockTree, REPO, useNock } from "./support/github.ts";

useNock();

/** An open PR as pulls.list gives it. */
const pr = (number: number, sha: string) => ({
  number,
  draft: false,
  author_association: "OWNER",
  head: { sha },
  base: { sha: "b".repeat(40) },
});

describe("the reconciler", () => {
  it("reviews again a head whose validation was left in progress by a process that is gone, not one this process started", async () => {
    const [abandoned, running] = ["3".repeat(40), "4".repeat(40)];
    const startedAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
    const open = { id: 6, status: "in_progress", external_id: `validate:${abandoned}` };
    let validated: { conclusion?: string } | undefined;
    const scope = nock(API)
      .get(`/repos/${REPO}/pulls`)
      .query({ state: "closed", base: "main", sort: "updated", direction: "desc", per_page: 30 })
      .reply(200, []) // no merge to look at
      .get(`/repos/${REPO}/pulls`)
      .query({ state: "open", per_page: 100 })
      .reply(200, [pr(3, abandoned), pr(4, running)])
      .get(`/repos/${REPO}/commits/${abandoned}/check-runs`)
      .query({ check_name: "loragate/validate", filter: "latest" })
      .times(2)
      .reply(200, {
        total_count: 1,
        check_runs: [{ ...open, started_at: startedAgo(ABANDONED_AFTER_MS + 60_000) }],
      })
      .get(`/repos/${REPO}/commits/${running}/check-runs`)
      .query({ check_name: "loragate/validate", filter: "latest" })
      .reply(200, {
        total_count: 1,
        check_runs: [{ id: 7, status: "in_progress", started_at: startedAgo(30_000) }],
      })
      .get(`/repos/${REPO}/pulls/3/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: "docs/README.md", status: "modified" }])
      .patch(`/repos/${REPO}/check-runs/6`, (body) => ((validated = body), true)) // the open check, finished
      .reply(200, {});
    mockTree(scope, "b".repeat(40), new Map([["registry.yaml", Buffer.from("base:\n  id: x\n")]]));
    mockTree(scope, abandoned, new Map());
    const [owner, repo] = REPO.split("/") as [string, string];
    const reviewed = await reconcileRepository({
      github: new Octokit({ auth: "t" }),
      repo: { owner, repo },
      defaultBranch: "main",
      startedAt: Date.now() - 60_000, // this process started a minute ago
    });
    expect(reviewed).toEqual([
      `#3 ${abandoned.slice(0, 7)}: validation left in progress by a process that is gone; reviewed: validation neutral`,
    ]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(validated).toMatchObject({ status: "completed", conclusion: "neutral" });
  });

  it("reviews only the open PRs whose head has no loragate/validate check (missed deliveries)", async () => {
    const [seen, missed] = ["1".repeat(40), "2".repeat(40)];
    let validated: { conclusion?: string } | undefined;
    const scope = nock(API)
      .get(`/repos/${REPO}/pulls`)
      .query({ state: "closed", base: "main", sort: "updated", direction: "desc", per_page: 30 })
      .reply(200, []) // no merge to look at
      .get(`/repos/${REPO}/pulls`)
      .query({ state: "open", per_page: 100 })
      .reply(200, [pr(1, seen), pr(2, missed)])
      .get(`/repos/${REPO}/commits/${seen}/check-runs`)
      .query({ check_name: "loragate/validate", filter: "latest" })
      .reply(200, { total_count: 1, check_runs: [{ id: 1, status: "completed" }] })
      .get(`/repos/${REPO}/commits/${missed}/check-runs`)
      .query({ check_name: "loragate/validate", filter: "latest" })
      .times(2)
      .reply(200, { total_count: 0, check_runs: [] })
      .post(`/repos/${REPO}/check-runs`)
      .reply(201, { id: 5 })
      .get(`/repos/${REPO}/pulls/2/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: "docs/README.md", status: "modified" }])
      .patch(`/repos/${REPO}/check-runs/5`, (body) => ((validated = body), true))
      .reply(200, {});
    mockTree(scope, "b".repeat(40), new Map([["registry.yaml", Buffer.from("base:\n  id: x\n")]]));
    mockTree(scope, missed, new Map());
    const [owner, repo] = REPO.split("/") as [string, string];
    const reviewed = await reconcileRepository({
      github: new Octokit({ auth: "t" }),
      repo: { owner, repo },
      defaultBranch: "main",
      startedAt: Date.now() - 60_000, // this process started a minute ago
    });
    expect(reviewed).toEqual([
      `#2 ${missed.slice(0, 7)}: no validation (a missed delivery); reviewed: validation neutral`,
    ]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(validated).toMatchObject({ status: "completed", conclusion: "neutral" });
  });

  it("ends an evaluation whose run vanished a day ago with Retrain, not one whose run is still queued", async () => {
    const [lost, waiting] = ["5".repeat(40), "6".repeat(40)];
    const dayAgo = new Date(Date.now() - EVALUATION_DEADLINE_MS - 60_000).toISOString();
    let ended: { conclusion?: string; output?: { title: string }; actions?: object[] } | undefined;
    const scope = nock(API)
      .get(`/repos/${REPO}/pulls`)
      .query({ state: "closed", base: "main", sort: "updated", direction: "desc", per_page: 30 })
      .reply(200, []) // no merge to look at
      .get(`/repos/${REPO}/pulls`)
      .query({ state: "open", per_page: 100 })
      .reply(200, [pr(5, lost), pr(6, waiting)]);
    for (const [sha, id] of [
      [lost, 50],
      [waiting, 60],
    ] as const) {
      scope
        .get(`/repos/${REPO}/commits/${sha}/check-runs`)
        .query({ check_name: "loragate/validate", filter: "latest" })
        .reply(200, {
          total_count: 1,
          check_runs: [{ id: id - 1, status: "completed", conclusion: "success" }],
        })
        .get(`/repos/${REPO}/commits/${sha}/check-runs`)
        .query({ check_name: "loragate/evaluate", filter: "latest" })
        .reply(200, { total_count: 1, check_runs: [{ id, status: "in_progress", started_at: dayAgo }] });
    }
    const runs = (titles: string[]) =>
      scope
        .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
        .query({ per_page: 100 })
        .reply(200, {
          total_count: titles.length,
          workflow_runs: titles.map((t, i) => ({ id: i + 1, display_title: t, status: "queued" })),
        });
    runs([]);
    runs([`loragate pr6-${waiting.slice(0, 12)}`]); // pr 6's run still waits for a runner
    scope.patch(`/repos/${REPO}/check-runs/50`, (body) => ((ended = body), true)).reply(200, {});
    const [owner, repo] = REPO.split("/") as [string, string];
    await reconcileRepository({
      github: new Octokit({ auth: "t" }),
      repo: { owner, repo },
      defaultBranch: "main",
      startedAt: Date.now() - 60_000, // this process started a minute ago
    });
    expect(scope.pendingMocks()).toEqual([]);
    expect(ended).toMatchObject({
      conclusion: "failure",
      output: { title: "No evaluation result arrived" },
      actions: [expect.objectContaining({ identifier: "retrain" })],
    });
  });
});
