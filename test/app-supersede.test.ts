import nock from "nock";
import { describe, expect, it } from "vitest";
import { API, makeProbot, mockToken, mockTree, pullRequestPayload, REPO, useNock } from "./support/github.ts";

const payload = pullRequestPayload("synchronize");
const BEFORE = payload.before as string;
const HEAD = payload.pull_request.head.sha;
const OLD = `pr2-${BEFORE.slice(0, 12)}`;

useNock();

describe("a new push", () => {
  it("cancels the previous head's evaluate check and its workflow run, then validates the new head", async () => {
    const sent: {
      cancelledCheck?: { conclusion: string };
      cancelledRun?: boolean;
      validate?: { conclusion: string };
    } = {};
    const scope = nock(API);
    mockToken(scope);
    scope
      .get(`/repos/${REPO}/commits/${BEFORE}/check-runs`)
      .query({ check_name: "loragate/evaluate", filter: "latest", app_id: "1" })
      .reply(200, {
        total_count: 1,
        check_runs: [{ id: 3, status: "in_progress", external_id: `evaluate:${OLD}` }],
      });
    scope.patch(`/repos/${REPO}/check-runs/3`, (body) => ((sent.cancelledCheck = body), true)).reply(200, {});
    scope
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "queued", per_page: 100 })
      .reply(200, {
        total_count: 2,
        workflow_runs: [
          { id: 11, display_title: `loragate ${OLD}` },
          { id: 12, display_title: "loragate pr9-0123456789ab" },
        ],
      });
    scope
      .get(`/repos/${REPO}/actions/workflows/loragate.yml/runs`)
      .query({ status: "in_progress", per_page: 100 })
      .reply(200, { total_count: 0, workflow_runs: [] });
    scope.post(`/repos/${REPO}/actions/runs/11/cancel`).reply(202, () => ((sent.cancelledRun = true), {}));
    // The new head changes no adapter: validation completes as neutral.
    scope
      .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
      .query({ check_name: "loragate/validate", filter: "latest", app_id: "1" })
      .reply(200, { total_count: 0, check_runs: [] });
    scope.post(`/repos/${REPO}/check-runs`).reply(201, { id: 7 });
    scope
      .get(`/repos/${REPO}/pulls/2/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: "README.md", status: "modified" }]);
    mockTree(
      scope,
      payload.pull_request.base.sha,
      new Map([["registry.yaml", Buffer.from("base:\n  id: x\n")]]),
    );
    mockTree(scope, HEAD, new Map());
    scope.patch(`/repos/${REPO}/check-runs/7`, (body) => ((sent.validate = body), true)).reply(200, {});
    await (await makeProbot()).receive({ id: "s1", name: "pull_request", payload } as never);
    expect(scope.pendingMocks()).toEqual([]);
    expect(sent.cancelledCheck).toMatchObject({
      status: "completed",
      conclusion: "cancelled",
      output: { title: "Superseded by a newer push" },
    });
    expect(sent.cancelledRun).toBe(true);
    expect(sent.validate).toMatchObject({
      conclusion: "neutral",
      output: { title: "No adapter in this pull request" },
    });
  });
});
