import { readFileSync } from "node:fs";
import { join } from "node:path";
import nock from "nock";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { embedMergeRecord, mergeRecord } from "../src/core/registry/merge-record.ts";
import { EvaluationRecordSchema } from "../src/core/schemas/evaluation-record.ts";
import { applyMerge } from "../src/core/registry/registry-update.ts";
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
  comment?: string;
}

function mockMerge(
  options: {
    bar?: "success" | "failure" | "none";
    registry?: string;
    /** Ref updates refused with `conflictStatus` before one lands (5 or more: none lands). */
    conflicts?: number;
    conflictStatus?: 409 | 422;
    /** Every write (tree, commit, ref) first answers 502 once. */
    flakyWrites?: boolean;
  } = {},
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
  const conflicts = options.conflicts ?? 0;
  const attempts = Math.min(conflicts + 1, 5);
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
  if (options.flakyWrites) {
    scope.post(`/repos/${REPO}/git/trees`).reply(502, "Bad Gateway");
    scope.post(`/repos/${REPO}/git/commits`).reply(502, "Bad Gateway");
    scope.patch(`/repos/${REPO}/git/refs/heads%2Fmaster`).reply(502, "Bad Gateway");
  }
  scope
    .post(`/repos/${REPO}/git/trees`, (body) => (sent.trees.push(body.tree), true))
    .times(attempts)
    .reply(201, { sha: "e".repeat(40) });
  scope
    .post(`/repos/${REPO}/git/commits`)
    .times(attempts)
    .reply(201, { sha: "f".repeat(40) });
  for (let i = 0; i < attempts; i++) {
    const lands = i >= conflicts;
    scope
      .patch(`/repos/${REPO}/git/refs/heads%2Fmaster`, (body) => (sent.refUpdates++, body.force === false))
      .reply(
        lands ? 200 : (options.conflictStatus ?? 422),
        lands ? { object: { sha: "f".repeat(40) } } : { message: "Update is not a fast forward" },
      );
  }
  if (conflicts >= attempts)
    scope
      .post(`/repos/${REPO}/issues/${PR}/comments`, (body) => ((sent.comment = body.body), true))
      .reply(201, { id: 1 });
  return { scope, sent };
}

useNock();

describe("pull_request closed + merged -> registry.yaml and LEADERBOARD.md", () => {
  it("writes both in one commit, keeping the maintainers' comments, with the domain's active adapter", async () => {
    const { scope, sent } = mockMerge();
    await (await makeProbot()).receive({ id: "m1", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.trees).toHaveLength(1);
    const [registry, leaderboard, evaluation] = sent.trees[0]!;
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
    // the page's record of this version: public benchmarks only, the bar's own numbers
    expect(evaluation!.path).toBe("evaluations/math-gsm8k/0.2.0.json");
    const stored = EvaluationRecordSchema.parse(JSON.parse(evaluation!.content));
    expect(stored.provenance).toMatchObject({ pr: PR, run: 77, head_sha: HEAD });
    expect(stored.benchmarks.map((b) => b.name)).toEqual(
      results.benchmarks.filter((b) => b.kind !== "hidden").map((b) => b.name),
    );
    expect(stored.benchmarks.find((b) => b.name === "math")!.adapter).toBeCloseTo(
      record.scores.math!.adapter,
      3,
    );
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

  it("changes only the merged adapter's lines: comments, alignment and flow padding elsewhere stay byte for byte", () => {
    const maintained = REGISTRY.replace(
      "id: tiny-llama-fixture-2026",
      "id: tiny-llama-fixture-2026   # pinned by the maintainers",
    )
      .replace("evaluation: {type: rouge_l}", "evaluation: {   type: rouge_l }")
      .replace(
        "adapters:\n",
        [
          "adapters:",
          "  # the domain's current adapter, to be outscored",
          "  math-old:",
          "    domain:  math      # aligned",
          "    version: 0.1.0",
          "    active:  true",
          "    scores:",
          "      math: { adapter: 0.20, base: 0.41 }",
          "      code: {  adapter: 0.50,  base: 0.52  }",
          "",
          "",
        ].join("\n"),
      )
      .concat("# kept at the end\n");
    const merged = applyMerge(maintained, record);
    const before = maintained.split("\n");
    const after = merged.split("\n");
    // the added entry is one block of lines; outside it, only math-old's `active` changed
    const start = after.indexOf("  math-gsm8k:");
    const end = after.findIndex((line, i) => i > start && !line.startsWith("    "));
    expect(after.slice(start, end).join("\n")).toMatch(
      /^ {2}math-gsm8k:\n {4}domain: math\n {4}version: 0\.2\.0\n {4}active: true\n/,
    );
    const outside = [...after.slice(0, start), ...after.slice(end)];
    const changed = before.flatMap((line, i) => (line === outside[i] ? [] : [`${line} -> ${outside[i]}`]));
    expect(outside).toHaveLength(before.length);
    expect(changed).toEqual(["    active:  true ->     active:  false"]);
    expect(applyMerge(merged, record)).toBe(merged); // a replay changes nothing
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

  it("a passing bar whose record cannot be used: nothing written, and the PR says why, once (issue 35 item 7)", async () => {
    const scope = nock(API);
    mockToken(scope);
    const broken = embedMergeRecord({
      ...record,
      provenance: { ...record.provenance, head_sha: "not a sha" },
    });
    scope
      .get(`/repos/${REPO}/commits/${HEAD}/check-runs`)
      .query({ check_name: "loragate/bar", filter: "latest", app_id: "1" })
      .reply(200, {
        total_count: 1,
        check_runs: [{ id: 9, status: "completed", conclusion: "success", output: { text: broken } }],
      });
    scope.get(`/repos/${REPO}/issues/${PR}/comments`).query({ per_page: 100 }).reply(200, []);
    let comment = "";
    scope
      .post(`/repos/${REPO}/issues/${PR}/comments`, (body) => ((comment = body.body), true))
      .reply(201, { id: 1 });
    await (await makeProbot()).receive({ id: "m7", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(comment).toMatch(
      /^<!-- loragate:merge-not-recorded -->\n⚠️ loragate did not record this merge in `registry.yaml`: the passing `loragate\/bar` check of \w{7} holds a merge record that is invalid at provenance\.head_sha: .*Nothing was written on `master`/,
    );
  });

  it("409 on every ref update: gives up after 5 attempts, writes nothing, says so on the PR, fails the delivery", async () => {
    const { scope, sent } = mockMerge({ conflicts: 5, conflictStatus: 409 });
    await expect(
      (await makeProbot()).receive({ id: "m5", name: "pull_request", payload } as never),
    ).rejects.toThrow(/master moved during each of 5 attempts/);
    expect(scope.isDone()).toBe(true);
    expect(sent.refUpdates).toBe(5);
    expect(sent.comment).toMatch(
      /could not record this merge in `registry.yaml`: master moved during each of 5 attempts to commit on it\. Nothing was written on `master`\. Redeliver/,
    );
  });

  it("a 502 on each write (tree, commit, ref): retried, one commit lands", async () => {
    const { scope, sent } = mockMerge({ flakyWrites: true });
    await (
      await makeProbot("test-secret", true)
    ).receive({ id: "m6", name: "pull_request", payload } as never);
    expect(scope.isDone()).toBe(true);
    expect(sent.refUpdates).toBe(1);
    expect(sent.trees).toHaveLength(1);
  });

  it("two merges at the same time: both entries land, one on top of the other", async () => {
    const other = {
      ...record,
      name: "code-extra",
      domain: "code",
      provenance: { ...record.provenance, pr: PR + 1, head_sha: "9".repeat(40) },
    };
    const branch = fakeBranch(REGISTRY);
    const merged = (r: typeof record) => {
      const p = structuredClone(payload);
      p.number = r.provenance.pr;
      p.pull_request.number = r.provenance.pr;
      p.pull_request.head.sha = r.provenance.head_sha;
      branch.scope
        .get(`/repos/${REPO}/commits/${r.provenance.head_sha}/check-runs`)
        .query({ check_name: "loragate/bar", filter: "latest", app_id: "1" })
        .reply(200, {
          total_count: 1,
          check_runs: [
            { id: 9, status: "completed", conclusion: "success", output: { text: embedMergeRecord(r) } },
          ],
        });
      return p;
    };
    const probot = await makeProbot();
    await Promise.all(
      [record, other].map(async (r, i) =>
        probot.receive({ id: `m7-${i}`, name: "pull_request", payload: merged(r) } as never),
      ),
    );
    const doc = parseDocument(branch.registry()).toJS();
    expect(doc.adapters["math-gsm8k"]).toMatchObject({ provenance: { pr: PR } });
    expect(doc.adapters["code-extra"]).toMatchObject({ provenance: { pr: PR + 1 } });
    expect(branch.commits()).toBe(2); // each landed once; the later one re-read the branch first
    expect(branch.refused()).toBeGreaterThanOrEqual(1);
  });
});

/**
 * A default branch that behaves like GitHub's: commits are made from trees, and a ref update that is
 * not a fast forward of the current head is refused with 422.
 */
function fakeBranch(initial: string) {
  const scope = nock(API).persist();
  mockToken(scope);
  const registryAt = new Map<string, string>([["c0", initial]]);
  const parentOf = new Map<string, string>();
  const trees = new Map<string, string>();
  let head = "c0";
  let landed = 0;
  let refused = 0;
  let next = 0;
  scope.get(`/repos/${REPO}/git/ref/heads%2Fmaster`).reply(200, () => ({ object: { sha: head } }));
  scope
    .get(`/repos/${REPO}/contents/registry.yaml`)
    .query(true)
    .reply(200, (uri) => {
      const ref = new URL(uri, API).searchParams.get("ref")!;
      return {
        type: "file",
        encoding: "base64",
        content: Buffer.from(registryAt.get(ref)!).toString("base64"),
      };
    });
  scope.get(/\/git\/commits\/\w+$/).reply(200, (uri) => ({ tree: { sha: `t-${uri.split("/").at(-1)}` } }));
  scope.post(`/repos/${REPO}/git/trees`).reply(201, (_uri, body) => {
    const sha = `t${++next}`;
    const files = (body as { tree: { path: string; content: string }[] }).tree;
    trees.set(sha, files.find((f) => f.path === "registry.yaml")!.content);
    return { sha };
  });
  scope.post(`/repos/${REPO}/git/commits`).reply(201, (_uri, body) => {
    const { tree, parents } = body as { tree: string; parents: string[] };
    const sha = `c${++next}`;
    registryAt.set(sha, trees.get(tree)!);
    parentOf.set(sha, parents[0]!);
    return { sha };
  });
  scope.patch(`/repos/${REPO}/git/refs/heads%2Fmaster`).reply((_uri, body) => {
    const { sha } = body as { sha: string };
    if (parentOf.get(sha) !== head) {
      refused++;
      return [422, { message: "Update is not a fast forward" }];
    }
    head = sha;
    landed++;
    return [200, { object: { sha } }];
  });
  return { scope, registry: () => registryAt.get(head)!, commits: () => landed, refused: () => refused };
}
