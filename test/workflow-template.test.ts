import { readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { correlationId } from "../src/core/review/correlation.ts";
import { DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import { FIXTURE_ACTION_COMMIT, pinnedEvaluateWorkflow } from "../fixtures/generate.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

const TEMPLATE = join(import.meta.dirname, "..", "templates", "workflows", "loragate.yml");
const text = readFileSync(TEMPLATE, "utf8");
interface Step {
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Workflow {
  name: string;
  "run-name": string;
  on: Record<string, { inputs: Record<string, { required: boolean; type: string }> }>;
  permissions: Record<string, string>;
  concurrency: { group: string; "cancel-in-progress": boolean };
  jobs: Record<
    string,
    {
      "runs-on": string[];
      "timeout-minutes": number;
      steps: (Step & { id?: string; if?: string })[];
      needs?: string | string[];
      if?: string;
      outputs?: Record<string, string>;
      strategy?: { matrix: Record<string, string> };
    }
  >;
}
const workflow = yaml.load(text, { schema: yaml.CORE_SCHEMA }) as Workflow;

describe("the train + evaluate workflow template", () => {
  it("is what the fixture registry installs, with the action's placeholder commit set", () => {
    const installed = readFileSync(join(FIXTURE_ROOT, ".github/workflows/loragate.yml"), "utf8");
    expect(installed).toBe(pinnedEvaluateWorkflow());
    // every step that runs the action is pinned to the same commit
    expect(installed).toBe(text.replace(/action@0{40}/g, `action@${FIXTURE_ACTION_COMMIT}`));
    expect(installed).not.toBe(text);
  });

  it("runs on workflow_dispatch only, with exactly the inputs the app dispatches, all required", () => {
    expect(Object.keys(workflow.on)).toEqual(["workflow_dispatch"]);
    const inputs = workflow.on.workflow_dispatch!.inputs;
    expect(Object.keys(inputs).sort()).toEqual(["adapter", "correlation_id", "head_sha", "pr"]);
    for (const input of Object.values(inputs))
      expect(input).toMatchObject({ required: true, type: "string" });
  });

  it("names each run after its correlation id, as reportEvaluation reads it back", () => {
    expect(workflow["run-name"]).toBe("loragate ${{ inputs.correlation_id }}");
    const title = workflow["run-name"].replace(
      "${{ inputs.correlation_id }}",
      correlationId(2, "a".repeat(40)),
    );
    expect(/\bpr([0-9]+)-([0-9a-f]{12})\b/.exec(title)?.slice(1)).toEqual(["2", "a".repeat(12)]);
  });

  it("asks for read permissions only, one run per PR and adapter, and a timeout on the configured runners", () => {
    expect(Object.values(workflow.permissions).every((p) => p === "read")).toBe(true);
    expect(workflow.concurrency).toEqual({
      group: "loragate-${{ inputs.pr }}-${{ inputs.adapter }}",
      "cancel-in-progress": true,
    });
    for (const job of Object.values(workflow.jobs)) {
      expect(job["runs-on"]).toEqual(DEFAULT_CONFIG.gpu.runner_labels);
      expect(job["timeout-minutes"]).toBeGreaterThan(0);
    }
  });

  it("never interpolates an expression into a shell script (inputs reach it through env only)", () => {
    const scripts = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.map((s) => s.run).filter((r): r is string => r !== undefined),
    );
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).not.toMatch(/\$\{\{/);
  });

  it("pins every action it uses by commit sha (a tag can be moved to other code)", () => {
    const uses = Object.values(workflow.jobs)
      .flatMap((j) => j.steps)
      .map((s) => s.uses)
      .filter((u): u is string => u !== undefined);
    expect(uses.length).toBe(14);
    for (const use of uses) expect(use).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/);
  });

  it("restores the base-answer cache before the action and saves it, under the action's key, only when it changed", () => {
    const steps = workflow.jobs.evaluate!.steps;
    const at = (prefix: string) => steps.findIndex((s) => s.uses?.startsWith(prefix));
    const restore = steps[at("actions/cache/restore")]!;
    const action = steps[at("loragate/loragate/action")]!;
    const save = steps[at("actions/cache/save")]!;
    expect(at("actions/cache/restore")).toBeLessThan(at("loragate/loragate/action"));
    expect(at("loragate/loragate/action")).toBeLessThan(at("actions/cache/save"));
    // one folder: where the action keeps the answers is what is restored and saved
    expect(restore.with?.path).toBe(action.env?.LORAGATE_ANSWER_CACHE);
    expect(save.with?.path).toBe(action.env?.LORAGATE_ANSWER_CACHE);
    expect(restore.with?.["restore-keys"]).toBe("loragate-base-answers-all-");
    expect(save.with?.key).toBe(`\${{ steps.${action.id}.outputs.answer-cache-key }}`);
    expect(save.if).toContain(`steps.${restore.id}.outputs.cache-matched-key`);
    expect(save.if).toMatch(/^success\(\)/);
  });

  it("uploads results.json under the artifact name the app downloads, from one job only: evaluate or merge", () => {
    const uploads = (job: string) =>
      workflow.jobs[job]!.steps.filter((s) => s.uses?.startsWith("actions/upload-artifact"));
    const [results, trained] = uploads("evaluate");
    expect(results?.with?.name).toBe("loragate-results");
    expect(results?.if).toBe("success() && steps.evaluate.outputs.shards == '1'");
    expect(trained?.with?.name).toBe("loragate-trained");
    expect(trained?.if).toBe("success() && steps.evaluate.outputs.shards != '1'");
    expect(uploads("merge").map((s) => s.with?.name)).toEqual(["loragate-results"]);
    expect(uploads("shard").map((s) => s.with?.name)).toEqual(["loragate-shard-${{ matrix.shard }}"]);
  });

  it("fans out over a matrix of shards only when the train step asks for more than one runner, then merges", () => {
    const { evaluate, shard, merge } = workflow.jobs as Record<string, Workflow["jobs"][string]>;
    const step = (job: typeof evaluate, name: string) =>
      job!.steps.find((s) => s.uses?.startsWith("loragate/loragate/action"))!.with![name];
    expect(step(evaluate, "step")).toBe("train");
    expect(evaluate!.outputs).toEqual({
      shards: "${{ steps.evaluate.outputs.shards }}",
      "shard-list": "${{ steps.evaluate.outputs.shard-list }}",
    });
    expect(shard!.needs).toBe("evaluate");
    expect(shard!.if).toBe("needs.evaluate.outputs.shards != '1'");
    expect(shard!.strategy!.matrix.shard).toBe("${{ fromJSON(needs.evaluate.outputs.shard-list) }}");
    expect([step(shard, "step"), step(shard, "shard"), step(shard, "shards")]).toEqual([
      "shard",
      "${{ matrix.shard }}",
      "${{ needs.evaluate.outputs.shards }}",
    ]);
    expect(merge!.needs).toEqual(["evaluate", "shard"]);
    expect(merge!.if).toBe(shard!.if);
    expect([step(merge, "step"), step(merge, "shards")]).toEqual([
      "merge",
      "${{ needs.evaluate.outputs.shards }}",
    ]);
    // the folders the action reads (src/action/main.ts) are where the artifacts are downloaded
    const downloads = merge!.steps.filter((s) => s.uses?.startsWith("actions/download-artifact"));
    expect(downloads.map((s) => s.with?.path)).toEqual(["loragate-trained/", "loragate-shards/"]);
    expect(downloads[1]!.with).toMatchObject({ pattern: "loragate-shard-*", "merge-multiple": true });
  });
});

describe("the site workflow template", () => {
  const site = yaml.load(readFileSync(join(TEMPLATE, "..", "loragate-site.yml"), "utf8"), {
    schema: yaml.CORE_SCHEMA,
  }) as {
    on: { push: { branches: string[]; paths: string[] } };
    permissions: Record<string, string>;
    jobs: Record<string, { permissions?: Record<string, string>; steps: Step[] }>;
  };
  const steps = Object.values(site.jobs).flatMap((j) => j.steps);

  it("runs after a merge on the default branch, when the registry, its records or a manifest change", () => {
    expect(site.on.push.branches).toEqual(["main"]);
    expect(site.on.push.paths).toEqual(["registry.yaml", "evaluations/**", "adapters/*/adapter.yaml"]);
  });

  it("builds with loragate site and publishes with Pages' own actions, each pinned by commit sha", () => {
    // the release by tarball and sha256 (test/site-workflow.test.ts runs these steps), never a package name
    expect(steps.some((s) => /loragate@/.test(s.run ?? ""))).toBe(false);
    expect(steps.find((s) => s.run?.includes(" site . --out "))?.run).toContain(
      '/node_modules/.bin/loragate" site . --out "$RUNNER_TEMP/_site"',
    );
    const uses = steps.map((s) => s.uses).filter((u): u is string => u !== undefined);
    expect(uses.map((u) => u.split("@")[0])).toEqual([
      "actions/checkout",
      "actions/setup-node",
      "actions/upload-pages-artifact",
      "actions/deploy-pages",
    ]);
    for (const use of uses) expect(use).toMatch(/@[0-9a-f]{40}$/);
  });

  it("reads only, but for the deploy job's Pages and id-token permissions", () => {
    expect(site.permissions).toEqual({ contents: "read" });
    expect(site.jobs.build!.permissions).toBeUndefined();
    expect(site.jobs.deploy!.permissions).toEqual({ pages: "write", "id-token": "write" });
  });
});
