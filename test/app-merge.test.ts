import { readFileSync } from "node:fs";
import { join } from "node:path";
import nock from "nock";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { embedMergeRecord, mergeRecord } from "../src/core/evaluation/merge-record.ts";
import { applyMerge } from "../src/core/registry-update.ts";
import { DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import { API, makeProbot, mockToken, pullRequestPayload, REPO, useNock } from "./support/github.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

const payload = pullRequestPayload("closed");
payload.pull_request.merged = true;
const HEAD = payload.pull_request.head.sha;
const PR = payload.pull_request.number;
const REGISTRY = readFileSync(join(FIXTURE_ROOT, "registry.yaml"), "utf8");
const results = { ...sampleResults(), head_sha: HEAD };
const record = mergeRecord(results, evaluateBar({ results, config: DEFAULT_CONFIG }), PR, 77);

interface Sent {
  trees: { path: string; content: string }[][];
  refUpdates: number;
}

function mockMerge(
  options: { bar?: "success" | "failure" | "none"; registry?: string; conflicts?: number } = {},
): { scope: nock.Scope; sent: Sent } {
  const sent: Sent = { trees: [], refUpdates: 0 };
  const scope = nock(API);
  mockToken(scope);
  const runs =
    options.bar === "none"
      ? []
      : [
          {
            id: 9,
            status: "completed",
            conclusion: options.bar ?? "success",
            output: { title: "Passes the bar", summary: "", text: embedMergeRecord(record) },
          },
        ];
  scope
    .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
    .query({ check_name: "loragate/bar", filter: "latest", app_id: "1" })
    .reply(200, { total_count: runs.length, check_runs: runs });
  if (options.bar === "none" || options.bar === "failure") return { scope, sent };
  const attempts = (options.conflicts ?? 0) + 1;
  const registry = options.registry ?? REGISTRY;
  scope
    .get(`/repos/${REPO}/git/ref/heads%2Fmaster`)
    .times(attempts)
    .reply(200, { object: { sha: "c".repeat(40) } });
  scope
    .get(`/repos/${REPO}/contents/registry.yaml`)
    .query({ ref: "c".repeat(40) })
    .times(attempts)
    .reply(200, { type: "file", encoding: "base64", content: Buffer.from(registry).toString("base64") });
  if (registry !== REGISTRY) return { scope, sent };
  scope
    .get(`/repos/${REPO}/git/commits/${"c".repeat(40)}`)
    .times(attempts)
    .reply(200, { sha: "c".repeat(40), tree: { sha: "d".repeat(40) } });
  scope
    .post(`/repos/${REPO}/git/trees`, (body) => (sent.trees.push(body.tree), true))
    .times(attempts)
    .reply(201, { sha: "e".repeat(40) });
  scope
    .post(`/repos/${REPO}/git/commits`)
    .times(attempts)
    .reply(201, { sha: "f".repeat(40) });
  for (let i = 0; i < attempts; i++) {
    const last = i === attempts - 1;
    scope
      .patch(`/repos/${REPO}/git/refs/heads%2Fmaster`, (body) => (sent.refUpdates++, body.force === false))
      .reply(
        last ? 200 : 422,
        last ? { object: { sha: "f".repeat(40) } } : { message: "Update is not a fast forward" },
      );
  }
  return { scope, sent };
}

useNock();

describe("pull_request closed + merged -> registry.yaml and LEADERBOARD.md", () => {
  it("writes both in one commit, keeping the maintainers' comments, with the domain's active adapter", async () => {
    const { scope, sent } = mockMerge();
    await (await makeProbot()).receive({ id: "m1", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.trees).toHaveLength(1);
    const [registry, leaderboard] = sent.trees[0]!;
    expect(registry!.path).toBe("registry.yaml");
    // what the merge does not own stays byte for byte: comments, order, quoting, flow style
    expect(registry!.content.slice(0, REGISTRY.length)).toBe(REGISTRY);
    const doc = parseDocument(registry!.content).toJS();
    expect(doc.adapters["math-gsm8k"]).toMatchObject({
      domain: "math",
      version: "0.2.0",
      active: true,
      provenance: { pr: PR, head_sha: HEAD, run: 77 },
    });
    expect(doc.adapters["analysis-basic"]).toMatchObject({ active: true }); // other domains untouched
    expect(leaderboard).toMatchObject({
      path: "LEADERBOARD.md",
      content: expect.stringContaining("| math-gsm8k | 0.2.0 | ✓ |"),
    });
  });

  it("re-reads and re-applies when the branch moved (422 on the ref update), losing nothing", async () => {
    const { scope, sent } = mockMerge({ conflicts: 2 });
    await (await makeProbot()).receive({ id: "m2", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.refUpdates).toBe(3);
    expect(sent.trees).toHaveLength(3);
  });

  it("keeps a registry's own flow style, padded or not, for the entries it does not own", () => {
    for (const registry of [REGISTRY, REGISTRY.replace(/\{([^ }][^}]*)\}/g, "{ $1 }")]) {
      expect(registry).toContain("analysis: {");
      expect(applyMerge(registry, record).slice(0, registry.length)).toBe(registry);
    }
  });

  it("changes nothing on a replay (the entry is already there)", async () => {
    const { scope, sent } = mockMerge({ registry: applyMerge(REGISTRY, record) });
    await (await makeProbot()).receive({ id: "m3", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.trees).toEqual([]);
  });

  it("writes nothing when the merged commit has no passing bar", async () => {
    for (const bar of ["none", "failure"] as const) {
      const { scope, sent } = mockMerge({ bar });
      await (await makeProbot()).receive({ id: `m4-${bar}`, name: "pull_request", payload } as never);
      expect(scope.isDone()).toBe(true);
      expect(sent.trees).toEqual([]);
    }
  });
});
