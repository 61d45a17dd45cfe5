/**
 * The GPU action's orchestration: GitHub answered by nock, the trainer replaced by a stand-in process
 * (no GPU or torch in CI); validation, conversion and evaluation (llama.cpp) run for real.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ActionFailure, runAction, runActionStep, type RunnerSetup } from "../src/action/run-action.ts";
import { tinyLlamaGguf } from "../src/gguf/tiny-llama.ts";
import { ResultsSchema } from "../src/core/schemas/results.ts";
import { trainingSeeds } from "../src/core/evaluation/seeds.ts";
import { adapterTree, mockActionPullRequest, type Tree, useNock } from "./support/github.ts";
import { fixtureBaseOf } from "../src/eval/fixture-model.ts";
import { writeModelCache } from "../src/eval/model-cache.ts";
import { FIXTURE_ROOT, loadRegistryDocument, readTree } from "./support/registry.ts";
import { scaled } from "./support/load.ts";

useNock();
const fixture = readTree(FIXTURE_ROOT) as Tree;
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const PR = 5;
const inputs = (adapter = "math-gsm8k", headSha = HEAD) => ({
  pr: PR,
  headSha,
  adapter,
  correlationId: `pr${PR}-${headSha.slice(0, 12)}`,
});

const root = mkdtempSync(join(tmpdir(), "loragate-action-"));
const modelCache = join(root, "models");
const fixtureRegistry = loadRegistryDocument(FIXTURE_ROOT);
writeModelCache({ registry: fixtureRegistry, cacheDir: modelCache, ...fixtureBaseOf(FIXTURE_ROOT) });
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => delete process.env.FAKE_TRAINER_MODE);

function setup(summaries: string[] = []): RunnerSetup {
  return {
    github: new Octokit({ auth: "test-token", request: { retries: 0 } }),
    repo: { owner: "Codertocat", repo: "Hello-World" },
    modelCache,
    workDir: join(root, "work"),
    outDir: join(root, "loragate-out"),
    trainer: [process.execPath, "--import", "tsx", join(import.meta.dirname, "support", "fake-trainer.ts")],
    gpu: false,
    hardware: "test CPU",
    summary: (markdown) => summaries.push(markdown),
  };
}

const mockPullRequest = (adapter: string, currentHead = HEAD) =>
  mockActionPullRequest({ fixture, adapter, pr: PR, baseSha: BASE, headSha: HEAD, currentHead });

describe("the GPU action", () => {
  it("trains on the data at the sha, converts, evaluates, and leaves results, adapter and loss log", async () => {
    const scope = mockPullRequest("math-gsm8k");
    const summaries: string[] = [];
    const results = await runAction(inputs(), setup(summaries));
    expect(scope.pendingMocks()).toEqual([]);
    const out = join(root, "loragate-out");
    const written = ResultsSchema.parse(JSON.parse(readFileSync(join(out, "results.json"), "utf8")));
    expect(written).toEqual(results);
    expect(written.head_sha).toBe(HEAD);
    expect(written.training!.loss.length).toBe(Math.ceil(520 / 4) * 10);
    expect(existsSync(join(out, "math-gsm8k.gguf"))).toBe(true);
    expect(existsSync(join(out, "loss.jsonl"))).toBe(true);
    // the trainer got the PR's dataset exactly, as data
    expect(readFileSync(join(root, "work", "dataset.jsonl"))).toEqual(
      fixture.get("adapters/math-gsm8k/training/dataset.jsonl"),
    );
    const recipe = JSON.parse(readFileSync(join(root, "work", "recipe.json"), "utf8"));
    expect(recipe).toMatchObject({ r: 16, alpha: 64, batch_size: 4, epochs: 10, seed: 42 });
    expect(summaries[0]).toContain("## loragate scorecard: math-gsm8k 0.2.0");
  }, 300_000);

  it("bar.seeds: 3 trains three adapters (the recipe's seed and two the registry draws), evaluates each, and one results.json holds all three", async () => {
    const threeSeeds = new Map(fixture) as Tree;
    threeSeeds.set(".github/loragate.yml", Buffer.from("bar:\n  seeds: 3\n"));
    const scope = mockActionPullRequest({
      fixture: threeSeeds,
      adapter: "math-gsm8k",
      pr: PR,
      baseSha: BASE,
      headSha: HEAD,
    });
    const summaries: string[] = [];
    const workDir = join(root, "work-seeds");
    const logged: string[] = [];
    const log = (line: string) => logged.push(line);
    const results = await runAction(inputs(), { ...setup(summaries), workDir, log });
    expect(scope.pendingMocks()).toEqual([]);
    // the base answered once: the second and third seeds reuse its answers (log and results.json say so)
    const items = results.benchmarks.reduce((n, b) => n + b.outcomes.length, 0);
    expect(results.base_answers).toMatchObject({
      passes: 1,
      items_generated: items,
      items_reused: 2 * items,
    });
    expect(logged).toContain("base model: 1 pass for 3 seeds, " + 2 * items + " answers reused");
    expect(
      logged.filter((line) => /items to answer/.test(line) && !/^base model: 0 items/.test(line)),
    ).toHaveLength(1);
    expect(summaries[0]).toMatch(
      /Base model: 1 pass, \d+ answers generated in \d+ s, \d+ reused \(shared by the 3 seeds\)/,
    );
    // each training got its own seed, in its own folder
    const seeds = trainingSeeds(42, 3, HEAD);
    for (const seed of seeds)
      expect(JSON.parse(readFileSync(join(workDir, `seed-${seed}`, "recipe.json"), "utf8")).seed).toBe(seed);
    expect(results.seeds!.map((s) => s.seed)).toEqual(seeds);
    expect(new Set(results.seeds!.map((s) => s.adapter_sha256)).size).toBe(3); // three adapters
    expect(results.seeds![0]!.adapter_sha256).toBe(results.adapter_sha256); // the first is published
    for (const benchmark of results.benchmarks)
      for (const outcome of benchmark.outcomes) {
        expect(outcome.adapter_by_seed).toHaveLength(3);
        expect(outcome.adapter_by_seed![0]).toBe(outcome.adapter);
      }
    // the job summary's scorecard has the seeds' table, and the completeness rule counted three seeds
    expect(summaries[0]).toContain("| seed | own Δ | domain Δ | every rule holds |");
    expect(summaries[0]).toContain("complete: every benchmark and item evaluated once ✓");
  }, 180_000);

  it("over the registry's threshold: trained once, evaluated by 3 shard jobs, merged into the results.json one runner writes", async () => {
    const sharded = new Map(fixture) as Tree;
    const config = fixture.get(".github/loragate.yml") as Buffer;
    sharded.set(
      ".github/loragate.yml",
      Buffer.concat([config, Buffer.from("gpu:\n  shards:\n    answers_per_runner: 200\n")]),
    );
    const mock = () =>
      mockActionPullRequest({
        fixture: sharded,
        adapter: "math-gsm8k",
        pr: PR,
        baseSha: BASE,
        headSha: HEAD,
      });
    const dir = join(root, "sharded");
    const trainedDir = join(dir, "loragate-trained");
    const shardsDir = join(dir, "loragate-shards");
    mkdirSync(shardsDir, { recursive: true });
    const job = (name: string, summaries: string[] = []) => ({
      ...setup(summaries),
      workDir: join(dir, name, "work"),
      outDir: join(dir, name, "loragate-out"),
    });

    mock();
    const single = await runAction(inputs(), job("single"));
    // the train job: 240 items x (base + 1 adapter) = 480 answers, 200 a runner: 3 shards
    mock();
    const outputs = new Map<string, string>();
    const trained = await runActionStep(
      inputs(),
      { ...job("train"), output: (name, value) => outputs.set(name, value) },
      { step: "train", trainedDir },
    );
    expect(trained).toBeUndefined();
    expect(outputs.get("shards")).toBe("3");
    expect(outputs.get("shard-list")).toBe("[0,1,2]");
    expect(existsSync(join(dir, "train", "loragate-out"))).toBe(false); // nothing for the app yet
    // the shard jobs, each on a runner of its own; download-artifact gathers their files for the merge
    for (const index of [0, 1, 2]) {
      mock();
      const shardDir = join(dir, `shard-${index}`, "loragate-shard");
      const part = await runActionStep(inputs(), job(`shard-${index}`), {
        step: "shard",
        index,
        count: 3,
        trainedDir,
        shardDir,
      });
      expect(part!.shard).toEqual({ index, count: 3 });
      expect(part!.benchmarks.reduce((n, b) => n + b.outcomes.length, 0)).toBe(80);
      writeFileSync(
        join(shardsDir, `shard-${index}.json`),
        readFileSync(join(shardDir, `shard-${index}.json`)),
      );
    }
    mock();
    const summaries: string[] = [];
    const merged = await runActionStep(inputs(), job("merge", summaries), {
      step: "merge",
      count: 3,
      trainedDir,
      shardsDir,
    });
    // what was measured is identical: items, scores, answer tallies, problems, adapter, base, settings
    const measured = ({ base_answers: _, training: __, ...rest }: typeof single) => ({
      ...rest,
      benchmarks: rest.benchmarks.map(({ base_answers: _b, ...b }) => b),
    });
    expect(measured(merged!)).toEqual(measured(single));
    expect(merged!.base_answers).toMatchObject({ passes: 3, items_generated: 240 }); // one pass a shard
    const out = join(dir, "merge", "loragate-out");
    expect(ResultsSchema.parse(JSON.parse(readFileSync(join(out, "results.json"), "utf8")))).toEqual(merged);
    expect(readFileSync(join(out, "math-gsm8k.gguf"))).toEqual(
      readFileSync(join(dir, "single", "loragate-out", "math-gsm8k.gguf")),
    );
    expect(existsSync(join(out, "loss.jsonl"))).toBe(true);
    expect(summaries[0]).toContain("complete: every benchmark and item evaluated once ✓");

    // a shard missing, or one evaluated with another adapter, fails the merge and stages nothing
    rmSync(join(shardsDir, "shard-1.json"));
    mock();
    await expect(
      runActionStep(inputs(), job("merge-missing"), { step: "merge", count: 3, trainedDir, shardsDir }),
    ).rejects.toThrow("shard 1 of 3 has no results");
    const other = JSON.parse(readFileSync(join(dir, "shard-1", "loragate-shard", "shard-1.json"), "utf8"));
    writeFileSync(
      join(shardsDir, "shard-1.json"),
      JSON.stringify({ ...other, adapter_sha256: "f".repeat(64) }),
    );
    mock();
    await expect(
      runActionStep(inputs(), job("merge-other"), { step: "merge", count: 3, trainedDir, shardsDir }),
    ).rejects.toThrow("the shards do not merge: shard 1 evaluated something else than shard 0");
    expect(existsSync(join(dir, "merge-other", "loragate-out"))).toBe(false);
  }, 300_000);

  it("a hidden benchmark's text, answers and patterns appear in no output: artifacts, log, job summary", async () => {
    const MARKER = "Quuxplorificationmarker";
    const items = Array.from({ length: 6 }, (_, i) => ({
      id: `h-${i + 1}`,
      instruction: `${MARKER} instruction ${i}`,
      input: `${MARKER} input`,
      expected_output: `${MARKER} answer ${i}`,
      difficulty: "easy" as const,
      // a maintainer's pattern that RE2 refuses: its error must not quote it either
      ...(i === 0
        ? { evaluation_type: "regex" as const, evaluation_config: { pattern: `(${MARKER})\\1` } }
        : {}),
    }));
    mockPullRequest("math-gsm8k");
    const logged: string[] = [];
    const summaries: string[] = [];
    const results = await runAction(inputs(), {
      ...setup(summaries),
      hidden: [{ label: "hidden 1", sha256: "f".repeat(64), items }],
      log: (line) => logged.push(line),
    });
    expect(results.benchmarks.map((b) => b.name)).toContain("hidden 1");
    const out = join(root, "loragate-out");
    const outputs = [
      ...readdirSync(out).map((file) => readFileSync(join(out, file)).toString("latin1")),
      ...logged,
      ...summaries,
    ];
    expect(outputs.filter((text) => text.includes(MARKER))).toEqual([]);
    expect(JSON.stringify(results)).toContain("h-1 (base): could not be scored"); // it failed, and says only that
  }, 300_000);

  it("a PR that moved after validation is not trained on", async () => {
    mockPullRequest("math-gsm8k", "d".repeat(40));
    await expect(runAction(inputs(), setup())).rejects.toThrow(
      /moved to dddddddddddd after cccccccccccc was validated; this run is superseded/,
    );
    expect(existsSync(join(root, "loragate-out"))).toBe(false);
  });

  it("invalid data at the sha: refused with the findings, nothing trained", async () => {
    mockPullRequest("bad-json-syntax");
    rmSync(join(root, "work"), { recursive: true, force: true });
    await expect(runAction(inputs("bad-json-syntax"), setup())).rejects.toThrow(
      /adapters\/bad-json-syntax does not validate at cccccccccccc; nothing was trained:\n {2}adapters\/bad-json-syntax\/training\/dataset.jsonl:\d+ /,
    );
    expect(existsSync(join(root, "work", "recipe.json"))).toBe(false);
  });

  it("checks the training data against the runner's hidden benchmarks too: a copied item refuses the run, its text named nowhere", async () => {
    const copied = JSON.parse(
      (fixture.get("adapters/math-gsm8k/training/dataset.jsonl") as Buffer).toString().split("\n")[6]!,
    );
    const secret = { ...copied, input: `${copied.input} Zorblax quintessence marker.` };
    const items = [
      {
        id: "secret-1",
        instruction: secret.instruction,
        input: secret.input,
        expected_output: "41",
        difficulty: "easy" as const,
      },
    ];
    const hiddenTraining = adapterTree(fixture, "math-gsm8k");
    const lines = (hiddenTraining.get("adapters/math-gsm8k/training/dataset.jsonl") as Buffer)
      .toString()
      .split("\n");
    lines[6] = JSON.stringify({ ...secret, output: "The answer is 41." });
    hiddenTraining.set("adapters/math-gsm8k/training/dataset.jsonl", Buffer.from(lines.join("\n")));
    mockActionPullRequest({
      fixture,
      adapter: "math-gsm8k",
      pr: PR,
      baseSha: BASE,
      headSha: HEAD,
      head: hiddenTraining,
    });
    const run = runAction(inputs(), {
      ...setup(),
      hidden: [{ label: "hidden 1", sha256: "f".repeat(64), items }],
    });
    const error = await run.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      /does not validate at cccccccccccc; nothing was trained:\n.*dataset\.jsonl:7 .*contamination/,
    );
    expect(error?.message).toContain(`matches item "secret-1" of a hidden benchmark`);
    expect(error?.message).not.toContain("Zorblax");
    expect(existsSync(join(root, "loragate-out"))).toBe(false);
  });

  it("refuses a cached base whose sha256 is not the pin", async () => {
    const cache = join(root, "wrong-cache");
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, "tiny-llama-fixture-f32.gguf"), tinyLlamaGguf({ seed: 9 }));
    mockPullRequest("math-gsm8k");
    await expect(runAction(inputs(), { ...setup(), modelCache: cache })).rejects.toThrow(
      /the cached base tiny-llama-fixture-f32.gguf has sha256 [0-9a-f]{64}, registry.yaml pins/,
    );
  });

  it("refuses a cached training base that is not the pinned one, by file: truncated, missing, stray", async () => {
    const cache = join(root, "tampered-cache");
    const paths = writeModelCache({
      registry: fixtureRegistry,
      cacheDir: cache,
      ...fixtureBaseOf(FIXTURE_ROOT),
    });
    const weights = join(paths.trainingBase, "model.safetensors");
    writeFileSync(weights, readFileSync(weights).subarray(0, 1000)); // a download cut short
    rmSync(join(paths.trainingBase, "tokenizer.json"));
    writeFileSync(join(paths.trainingBase, "model-00002-of-00002.safetensors"), "stray");
    mockPullRequest("math-gsm8k");
    const workDir = join(root, "work-tampered");
    const run = runAction(inputs(), { ...setup(), modelCache: cache, workDir });
    await expect(run).rejects.toThrow(ActionFailure);
    const message = await run.catch((error: Error) => error.message);
    expect(message).toContain("is not the one registry.yaml pins");
    expect(message).toMatch(
      / {2}model\.safetensors has sha256 [0-9a-f]{64}, registry.yaml pins [0-9a-f]{64}/,
    );
    expect(message).toContain("  tokenizer.json is missing");
    expect(message).toContain("  model-00002-of-00002.safetensors is not pinned (the trainer would load it)");
    expect(existsSync(join(workDir, "recipe.json"))).toBe(false); // nothing was trained
  });

  it.each([
    ["oom", /training ran out of GPU memory:\nloragate trainer: out of GPU memory/],
    ["nan", /the training loss diverged \(NaN or infinite\)/],
    ["kill", /the trainer was killed \(SIGKILL\)/],
    [
      "dora",
      /the trained adapter does not convert to GGUF: adapter_config.json: use_dora: DoRA adapters have no llama.cpp form/,
    ],
  ])("a trainer that fails (%s) ends the run with its reason and no artifacts", async (mode, message) => {
    process.env.FAKE_TRAINER_MODE = mode;
    mkdirSync(join(root, "loragate-out"), { recursive: true });
    writeFileSync(join(root, "loragate-out", "results.json"), "{}"); // an earlier run's leftovers
    mockPullRequest("math-gsm8k");
    await expect(runAction(inputs(), setup())).rejects.toThrow(message);
    expect(existsSync(join(root, "loragate-out"))).toBe(false);
    expect(existsSync(join(root, "loragate-out.partial"))).toBe(false);
  });

  describe("a cancelled run stops what it started and leaves nothing", () => {
    const isRunning = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };

    it.each(["hang", "hang-stubborn"])(
      "while training: the trainer is stopped (%s)",
      async (mode) => {
        process.env.FAKE_TRAINER_MODE = mode;
        const pidFile = join(root, "work", "trained.pid");
        rmSync(pidFile, { force: true });
        mockPullRequest("math-gsm8k");
        const cancel = new AbortController();
        const run = runAction(inputs(), { ...setup(), signal: cancel.signal });
        const started = Date.now();
        while (!existsSync(pidFile) && Date.now() - started < scaled(60_000)) await sleep(50);
        const pid = Number(readFileSync(pidFile, "utf8"));
        expect(isRunning(pid)).toBe(true);
        cancel.abort(new ActionFailure("the run was cancelled (SIGINT); nothing was uploaded"));
        await expect(run).rejects.toThrow(/the run was cancelled \(SIGINT\)/);
        expect(isRunning(pid)).toBe(false);
        expect(existsSync(join(root, "loragate-out"))).toBe(false);
      },
      120_000,
    );

    it("while evaluating: no results are staged", async () => {
      mockPullRequest("math-gsm8k");
      const cancel = new AbortController();
      const log = (line: string) => {
        if (line.startsWith("base + adapter:"))
          cancel.abort(new ActionFailure("the run was cancelled (SIGTERM)"));
      };
      await expect(runAction(inputs(), { ...setup(), signal: cancel.signal, log })).rejects.toThrow(
        /the run was cancelled \(SIGTERM\)/,
      );
      expect(existsSync(join(root, "loragate-out"))).toBe(false);
      expect(existsSync(join(root, "loragate-out.partial"))).toBe(false);
    }, 300_000);
  });

  it("refuses inputs that do not fit together before any request", async () => {
    await expect(runAction({ ...inputs(), correlationId: "pr5-000000000000" }, setup())).rejects.toThrow(
      ActionFailure,
    );
    await expect(runAction({ ...inputs(), adapter: "../etc" }, setup())).rejects.toThrow(
      /adapter is not an adapter name/,
    );
  });

  it("the committed bundle action/dist/main.js is built from the current sources", () => {
    const fresh = join(root, "main.js");
    execFileSync(process.execPath, [
      join(import.meta.dirname, "..", "scripts", "bundle.mjs"),
      "action",
      fresh,
    ]);
    const committed = readFileSync(join(import.meta.dirname, "..", "action", "dist", "main.js"), "utf8");
    expect(
      readFileSync(fresh, "utf8") === committed,
      "run `npm run build:action` and commit action/dist",
    ).toBe(true);
  });
});

describe("the action's entry, as the workflow runs it (action/dist/main.js)", () => {
  /** The bundle in a process with the runner's environment; it must stop before calling GitHub. */
  const runEntry = (env: Record<string, string>) => {
    const workspace = mkdtempSync(join(root, "workspace-"));
    const run = spawnSync(process.execPath, [join(import.meta.dirname, "..", "action", "dist", "main.js")], {
      encoding: "utf8",
      timeout: scaled(60_000), // a hang (a FIFO read for ever) fails the test instead of holding it
      env: {
        PATH: process.env.PATH,
        GITHUB_REPOSITORY: "octo/registry",
        GITHUB_WORKSPACE: workspace,
        RUNNER_TEMP: workspace,
        INPUT_PR: String(PR),
        "INPUT_HEAD-SHA": HEAD,
        INPUT_ADAPTER: "math-gsm8k",
        "INPUT_CORRELATION-ID": inputs().correlationId,
        "INPUT_GITHUB-TOKEN": "t",
        ...env,
      },
    });
    return { code: run.status, stdout: run.stdout, staged: existsSync(join(workspace, "loragate-out")) };
  };

  it("a LORAGATE_HIDDEN_DIR that is not there ends the run: hidden benchmarks are never skipped unseen", () => {
    expect(runEntry({ LORAGATE_HIDDEN_DIR: join(root, "no-such-folder") })).toEqual({
      code: 1,
      stdout: `::error::LORAGATE_HIDDEN_DIR ${join(root, "no-such-folder")} is not a folder on this runner\n`,
      staged: false,
    });
  });

  it("a hidden file with a line that is not an item ends the run by label, line and rule, never its text or name", () => {
    const hidden = mkdtempSync(join(root, "hidden-"));
    const [good] = readFileSync(join(FIXTURE_ROOT, "benchmarks/math/benchmark.jsonl"), "utf8").split("\n");
    writeFileSync(join(hidden, "a-fine.jsonl"), `${good}\n`);
    writeFileSync(
      join(hidden, "gsm8k-hard-variants.jsonl"),
      `${good}\n{"id": "q2", "input": "SECRET TEXT"}\n`,
    );
    const run = runEntry({ LORAGATE_HIDDEN_DIR: hidden });
    expect(run).toEqual({
      code: 1,
      stdout:
        "::error::hidden 2 is not a valid benchmark: line 2 [missing-field]; fix the file at those lines (their text is not shown here) (a hidden benchmark on this runner)\n",
      staged: false,
    });
  });

  it("a FIFO in LORAGATE_HIDDEN_DIR ends the run at once by its label, instead of waiting on it for ever", () => {
    const hidden = mkdtempSync(join(root, "hidden-fifo-"));
    execFileSync("mkfifo", [join(hidden, "secret-name.jsonl")]);
    expect(runEntry({ LORAGATE_HIDDEN_DIR: hidden })).toEqual({
      code: 1,
      stdout:
        "::error::hidden 1 is not a regular file (a FIFO, socket or device is never read) (a hidden benchmark on this runner)\n",
      staged: false,
    });
  });

  it.each(["0", "-3", "four", "1.5"])("LORAGATE_PARALLEL=%s ends the run before any work", (value) => {
    expect(runEntry({ LORAGATE_PARALLEL: value })).toEqual({
      code: 1,
      stdout: `::error::LORAGATE_PARALLEL must be a whole number from 1 to 999, not "${value}"\n`,
      staged: false,
    });
  });
});
