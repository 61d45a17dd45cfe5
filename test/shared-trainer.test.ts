/**
 * The suite's shared training (test/support/shared-trainer.mjs) in front of a stand-in Python that counts
 * its calls: one training per content, replayed to the letter; another content, a failed run or checks
 * it has not passed train again; calls at once train once, on one thread; every other call goes
 * through as it is.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchFolder } from "./support/scratch.ts";
import { SHARED_TRAINER_PYTHON } from "./support/trainer.ts";

const dir = scratchFolder("shared-trainer");
const calls = join(dir, "calls");
const fake = join(dir, "python");
const threads = join(dir, "threads");
writeFileSync(
  fake,
  `#!/usr/bin/env node
const fs = require("node:fs");
fs.appendFileSync(${JSON.stringify(calls)}, process.argv.slice(2).join(" ") + "\\n");
fs.writeFileSync(${JSON.stringify(threads)}, JSON.stringify([process.env.OMP_NUM_THREADS, process.env.LORAGATE_TRAINER_THREADS]));
if (process.env.FAKE_SLOW) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500); // a training under way
if (process.argv[2] !== ${JSON.stringify(join(dir, "train.py"))}) process.exit(3);
const recipe = JSON.parse(fs.readFileSync(process.argv[4], "utf8"));
fs.mkdirSync(recipe.output_dir, { recursive: true });
fs.writeFileSync(recipe.output_dir + "/adapter_model.safetensors", fs.readFileSync(recipe.dataset));
console.log("step 1/1 loss " + recipe.learning_rate);
process.exit(Number(process.env.FAKE_EXIT ?? 0));
`,
);
chmodSync(fake, 0o755);
writeFileSync(join(dir, "train.py"), "# the trainer, as far as the key goes\n");
mkdirSync(join(dir, "base"));
writeFileSync(join(dir, "base", "config.json"), "{}");

let n = 0;
interface Options {
  check?: string;
  model?: string;
  fail?: boolean;
  rate?: number;
  env?: Record<string, string>;
}

/** One call of the shared trainer on a recipe of its own (its own paths), with `data` as the dataset. */
function call(data: string, options: Options = {}) {
  const at = join(dir, `call-${++n}`);
  mkdirSync(at);
  writeFileSync(join(at, "data.jsonl"), data);
  const recipe = {
    base_model: join(dir, "base"),
    dataset: join(at, "data.jsonl"),
    output_dir: join(at, "trained"),
    learning_rate: options.rate ?? 0.001,
  };
  writeFileSync(join(at, "recipe.json"), JSON.stringify(recipe));
  const args = [join(dir, "train.py"), "--recipe", join(at, "recipe.json")];
  for (const [flag, content] of [
    ["--check-model", options.model],
    ["--check-prompts", options.check],
  ] as const)
    if (content !== undefined) {
      writeFileSync(join(at, `${flag}.json`), content);
      args.push(flag, join(at, `${flag}.json`));
    }
  const env = {
    ...process.env,
    LORAGATE_REAL_TRAINER_PYTHON: fake,
    TMPDIR: dir,
    FAKE_EXIT: options.fail ? "2" : "0",
    ...options.env,
  };
  const trained = join(recipe.output_dir, "adapter_model.safetensors");
  return { args, env, adapter: () => readFileSync(trained, "utf8") };
}

function train(data: string, options: Options = {}) {
  const { args, env, adapter } = call(data, options);
  const run = spawnSync(SHARED_TRAINER_PYTHON, args, { encoding: "utf8", env });
  return { status: run.status, stdout: run.stdout, adapter };
}

/** The same call twice at once. */
async function trainTwiceAtOnce(data: string) {
  const runs = [call(data, { env: { FAKE_SLOW: "1" } }), call(data, { env: { FAKE_SLOW: "1" } })];
  const statuses = await Promise.all(
    runs.map(
      ({ args, env }) =>
        new Promise<number | null>((resolve) =>
          spawn(SHARED_TRAINER_PYTHON, args, { env, stdio: "ignore" }).on("close", resolve),
        ),
    ),
  );
  return { statuses, adapters: runs.map((r) => r.adapter()) };
}
const trainings = () => readFileSync(calls, "utf8").trim().split("\n").length;

describe("the shared training of the suite", () => {
  it("trains once per content and replays the output folder and what the trainer printed", () => {
    const first = train("a\n");
    expect([first.status, first.stdout, first.adapter(), trainings()]).toEqual([
      0,
      "step 1/1 loss 0.001\n",
      "a\n",
      1,
    ]);
    const again = train("a\n");
    expect([again.status, again.stdout, again.adapter(), trainings()]).toEqual([
      0,
      "step 1/1 loss 0.001\n",
      "a\n",
      1,
    ]);
  });

  it("trains again for other data or another setting, and after a failed run", () => {
    expect(train("b\n").adapter()).toBe("b\n");
    expect(train("a\n", { rate: 0.002 }).stdout).toBe("step 1/1 loss 0.002\n");
    expect(trainings()).toBe(3);
    expect(train("c\n", { fail: true }).status).toBe(2);
    expect(train("c\n").adapter()).toBe("c\n");
    expect(trainings()).toBe(5);
  });

  it("replays for a prompt check only a training that passed that check", () => {
    train("a\n", { check: "[1]" }); // the training without a check passed none
    expect(trainings()).toBe(6);
    train("a\n", { check: "[1]" });
    train("a\n");
    expect(trainings()).toBe(6);
    train("a\n", { check: "[2]" });
    expect(trainings()).toBe(7);
  });

  it("replays for checks of the model too only a training that passed the same checks", () => {
    train("a\n", { check: "[1]", model: "m" }); // passed the prompt check alone, not this pair
    expect(trainings()).toBe(8);
    train("a\n", { check: "[1]", model: "m" });
    train("a\n", { model: "m", check: "[1]" });
    train("a\n", { check: "[1]" });
    expect(trainings()).toBe(8);
    train("a\n", { check: "[1]", model: "other" });
    expect(trainings()).toBe(9);
  });

  it("two calls at once train once: the second waits for the first and replays it", async () => {
    const { statuses, adapters } = await trainTwiceAtOnce("d\n");
    expect({ statuses, adapters, trainings: trainings() }).toEqual({
      statuses: [0, 0],
      adapters: ["d\n", "d\n"],
      trainings: 10,
    });
  });

  it("trains on one thread, whatever the caller's environment allows", () => {
    train("e\n", { env: { OMP_NUM_THREADS: "2", LORAGATE_TRAINER_THREADS: "2" } });
    expect(JSON.parse(readFileSync(threads, "utf8"))).toEqual(["1", null]);
  });

  it("passes any other call through, with its exit code", () => {
    const run = spawnSync(SHARED_TRAINER_PYTHON, ["-c", "print(1)"], {
      env: { ...process.env, LORAGATE_REAL_TRAINER_PYTHON: fake },
    });
    expect(run.status).toBe(3);
    expect(readFileSync(calls, "utf8").trim().split("\n").at(-1)).toBe("-c print(1)");
  });
});
