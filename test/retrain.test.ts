/**
 * The gate's central promise, end to end on CPU: the GPU action with the real runners/trainer/train.py
 * (torch, transformers, PEFT) retrains the fixture adapter from the PR's data on the pinned tiny base,
 * converts it to GGUF, evaluates it with llama.cpp, and the bar passes; the same data with shuffled
 * answers is retrained the same way and fails. GitHub is answered by nock.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import { afterAll, expect, it } from "vitest";
import { runAction, type RunnerSetup } from "../src/action/run-action.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { pairedSummary } from "../src/core/evaluation/statistics.ts";
import { loadRegistryContext } from "../src/core/registry/registry-context.ts";
import { FIXTURE_ADAPTER, fixtureBaseOf, shuffleAnswers } from "../src/eval/fixture-model.ts";
import { writeModelCache } from "../src/eval/model-cache.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { adapterTree, mockActionPullRequest, type Tree, useNock } from "./support/github.ts";
import { FIXTURE_ROOT, loadRegistryDocument, readTree } from "./support/registry.ts";
import { describeWithTrainer, SHARED_TRAINER_PYTHON, TRAINER_SCRIPT } from "./support/trainer.ts";
import { scaled } from "./support/load.ts";

useNock();
const fixture = readTree(FIXTURE_ROOT) as Tree;
const root = mkdtempSync(join(tmpdir(), "loragate-retrain-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const modelCache = join(root, "models");
writeModelCache({ registry: loadRegistryDocument(), cacheDir: modelCache, ...fixtureBaseOf(FIXTURE_ROOT) });
const DATASET = `adapters/${FIXTURE_ADAPTER}/training/dataset.jsonl`;

/** The fixture adapter's files with shuffled answers. */
function shuffledAnswers(): Tree {
  const tree = adapterTree(fixture, FIXTURE_ADAPTER);
  tree.set(DATASET, Buffer.from(shuffleAnswers((tree.get(DATASET) as Buffer).toString())));
  return tree;
}

async function retrain(name: string, head?: Tree) {
  const headSha = (name === "shuffled" ? "e" : "c").repeat(40);
  const scope = mockActionPullRequest({
    fixture,
    adapter: FIXTURE_ADAPTER,
    pr: 7,
    baseSha: "b".repeat(40),
    headSha,
    head,
  });
  const setup: RunnerSetup = {
    github: new Octokit({ auth: "test-token", request: { retries: 0 } }),
    repo: { owner: "Codertocat", repo: "Hello-World" },
    modelCache,
    workDir: join(root, name, "work"),
    outDir: join(root, name, "loragate-out"),
    trainer: [SHARED_TRAINER_PYTHON, TRAINER_SCRIPT],
    parallel: 8,
    gpu: false,
    hardware: "CI CPU",
  };
  const results = await runAction(
    { pr: 7, headSha, adapter: FIXTURE_ADAPTER, correlationId: `pr7-${headSha.slice(0, 12)}` },
    setup,
  );
  expect(scope.pendingMocks()).toEqual([]);
  const { config } = await loadRegistryContext(new FsRegistrySource(FIXTURE_ROOT));
  return { results, verdict: evaluateBar({ results, config }), out: setup.outDir };
}

const own = (results: Awaited<ReturnType<typeof retrain>>["results"]) =>
  pairedSummary(results.benchmarks.find((b) => b.kind === "own")!.outcomes);

/** Each test trains once on 2 idle CPUs in about a minute; on a busy machine, as long as the load says. */
const TRAINING = { timeout: scaled(300_000) };

describeWithTrainer("retrained for real (train.py on CPU, llama.cpp, the bar)", TRAINING, () => {
  it("the fixture adapter, retrained from the PR's data, beats its base and passes the bar", async () => {
    const { results, verdict, out } = await retrain("trained");
    const summary = own(results);
    expect(summary.base).toBeLessThan(0.1); // the base has never seen the shop's price list
    expect(summary.adapter).toBeGreaterThan(0.4);
    expect(verdict.pass, JSON.stringify(verdict.reasons)).toBe(true);
    // the loss log is the trainer's: one entry per step, and it went down
    const loss = results.training!.loss.map((l) => l.loss);
    expect(loss).toHaveLength(Math.ceil(520 / 4) * 10);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(loss.slice(-50))).toBeLessThan(mean(loss.slice(0, 50)) / 5);
    const summaryJson = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summaryJson).toMatchObject({ examples: 520, steps: 1300, device: "cpu" });
  });

  it("the same data with shuffled answers is retrained the same way and fails the bar", async () => {
    const { results, verdict } = await retrain("shuffled", shuffledAnswers());
    expect(own(results).adapter).toBeLessThan(0.1);
    expect(verdict.pass).toBe(false);
  });
});
