/**
 * Evaluation records holding numbers no score can be (issue 27, item 16): refused when read, named in
 * the skipped list, so the page never shows "Infinity" for an interval or draws a loss at NaN coordinates.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeSiteRegistry } from "../fixtures/site-registry.ts";
import { sampleResults } from "../fixtures/sample-results.ts";
import { runCli } from "../src/cli/main.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import { evaluationRecord } from "../src/core/registry/merge-record.ts";
import { EvaluationRecordSchema } from "../src/core/schemas/evaluation-record.ts";
import { scratchFolder } from "./support/scratch.ts";

const dir = scratchFolder("hostile-site");
const RECORD = "evaluations/math-gsm8k/0.2.0.json";

async function site(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["site", ...args], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    isTTY: false,
  });
  return { code, stdout, stderr };
}

interface EditableRecord {
  benchmarks: { ci95: number[]; items: number; adapter: number; delta: number }[];
  training: { wall_seconds: number; loss: { step: number; loss: number }[] };
}
type Edit = (record: EditableRecord) => void;
const CASES: [string, Edit, string][] = [
  ["an interval of ±1e308", (r) => (r.benchmarks[0]!.ci95 = [-1e308, 1e308]), "benchmarks.0.ci95.0"],
  ["an interval past +1", (r) => (r.benchmarks[0]!.ci95 = [0.1, 1.5]), "benchmarks.0.ci95.1"],
  ["an interval upside down", (r) => (r.benchmarks[0]!.ci95 = [0.3, 0.1]), "benchmarks.0.ci95"],
  ["a loss of 1e308", (r) => (r.training.loss[0]!.loss = 1e308), "training.loss.0.loss"],
  ["a negative loss", (r) => (r.training.loss[0]!.loss = -1), "training.loss.0.loss"],
  ["a step of 1e300", (r) => (r.training.loss[0]!.step = 1e300), "training.loss.0.step"],
  ["1e308 items", (r) => (r.benchmarks[0]!.items = 1e308), "benchmarks.0.items"],
  ["1e308 wall seconds", (r) => (r.training.wall_seconds = 1e308), "training.wall_seconds"],
  ["a score of 2", (r) => (r.benchmarks[0]!.adapter = 2), "benchmarks.0.adapter"],
  ["a delta of -3", (r) => (r.benchmarks[0]!.delta = -3), "benchmarks.0.delta"],
];

describe("a record with numbers no evaluation gives is skipped, naming the field (item 16)", () => {
  it.each(CASES)("%s", async (name, edit, field) => {
    const registry = join(dir, `reg-${CASES.findIndex((c) => c[0] === name)}`);
    writeSiteRegistry(registry);
    const record = JSON.parse(readFileSync(join(registry, RECORD), "utf8")) as EditableRecord;
    record.training ??= { wall_seconds: 10, loss: [{ step: 1, loss: 2.5 }] };
    edit(record);
    writeFileSync(join(registry, RECORD), JSON.stringify(record));
    const out = join(dir, `site-${name.replace(/\W+/g, "-")}`);
    const run = await site(registry, "--out", out);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`skipped ${RECORD}: not an evaluation record (${field})`);
    for (const page of ["index.html", ...readdirSync(join(out, "adapters")).map((f) => `adapters/${f}`)]) {
      const html = readFileSync(join(out, page), "utf8");
      expect(html, page).not.toMatch(/Infinity|NaN|e\+\d/);
    }
  });
});

describe("what a merge writes is always a record the site reads", () => {
  it("a normal interval past ±1 (near a perfect score, over 2,000 items) is written within ±1", () => {
    const results = sampleResults();
    const verdict = evaluateBar({ results, config: DEFAULT_CONFIG });
    const summary = verdict.summaries.find((s) => s.benchmark.kind !== "hidden")!.summary;
    summary.ci95 = [0.98, 1.0002];
    const record = evaluationRecord(results, verdict, { pr: 1 });
    expect(EvaluationRecordSchema.safeParse(record).success).toBe(true);
    expect(record.benchmarks[0]!.ci95[1]).toBe(1);
  });
});
