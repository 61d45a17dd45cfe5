#!/usr/bin/env node
/**
 * The trainer's Python for tests that train the same adapter on the same data (retrain.test.ts, the
 * demo in cli-demo.test.ts, fixture-adapters.test.ts): `train.py --recipe R [--check-prompts C]
 * [--check-model M]` trains once per test run, and a later call is answered from that training (its
 * output folder, and what train.py printed). The key is all that decides the result: train.py, the
 * recipe but for its paths, the bytes of the data and of the base. A call with checks reuses only a
 * training that passed the same checks; a call without reuses any. A call that finds the same training
 * under way waits for it. Shared trainings run on one thread, as fixtures:train ran: the same bytes
 * whichever file trains first, and those of fixtures/trained/. Every other call runs the real Python
 * ($LORAGATE_REAL_TRAINER_PYTHON) as it is.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { basename, dirname, join } from "node:path";

const REAL = process.env.LORAGATE_REAL_TRAINER_PYTHON;
const args = process.argv.slice(2);
const [script, flag, recipePath, ...rest] = args;
const CHECKS = ["--check-prompts", "--check-model"];
/** The checks asked for, by flag: each at most once, each with its file. */
const checks = new Map();
for (let i = 0; i < rest.length; i += 2)
  if (CHECKS.includes(rest[i]) && rest[i + 1] !== undefined && !checks.has(rest[i]))
    checks.set(rest[i], rest[i + 1]);
const shared =
  basename(script ?? "") === "train.py" && flag === "--recipe" && checks.size * 2 === rest.length;

const sha256 = (...parts) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
};

/** Every file under `dir`, by its relative path, hashed with its bytes. */
function folderHash(dir) {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => statSync(join(dir, file)).isFile())
    .sort();
  return sha256(...files.flatMap((file) => [file, readFileSync(join(dir, file))]));
}

/** Runs the real Python, its stdout echoed and kept; SIGTERM and SIGINT go on to it. */
function runReal(env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(REAL, args, { stdio: ["inherit", "pipe", "inherit"], env });
    const stdout = [];
    child.stdout.on("data", (chunk) => {
      stdout.push(chunk);
      process.stdout.write(chunk);
    });
    for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));
    child.on("close", (code, signal) => resolve({ code, signal, stdout: Buffer.concat(stdout) }));
  });
}

/** One thread, whatever the caller's project allows: see the header. */
function oneThread() {
  const { LORAGATE_TRAINER_THREADS: _, ...env } = process.env;
  return { ...env, OMP_NUM_THREADS: "1" };
}

/**
 * Holds `lock` (a folder: mkdir is atomic) while `work` runs; a holder that died leaves it to the next
 * caller. Resolves undefined, without running `work`, when `ready()` turns true while waiting.
 */
async function whileHolding(lock, ready, work) {
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      if (ready()) return undefined;
      if (!holderAlive(lock)) rmSync(lock, { recursive: true, force: true });
      else await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function holderAlive(lock) {
  try {
    process.kill(Number(readFileSync(join(lock, "pid"), "utf8")), 0);
    return true;
  } catch (error) {
    return error.code === "EPERM" || error.code === "ENOENT"; // ENOENT: its pid is being written
  }
}

async function main() {
  if (!shared) return runReal();
  const recipe = JSON.parse(readFileSync(recipePath, "utf8"));
  const { base_model: base, dataset, output_dir: out, ...settings } = recipe;
  const key = sha256(
    readFileSync(script),
    JSON.stringify(settings),
    readFileSync(dataset),
    folderHash(base),
  ).slice(0, 32);
  const check =
    checks.size === 0 ? "" : sha256(...[...checks].sort().flatMap(([f, path]) => [f, readFileSync(path)]));
  const entry = join(tmpdir(), "loragate-shared-trainings", key);
  const passed = () => readFileSync(join(entry, "checks"), "utf8").split("\n");
  const reusable = () => existsSync(entry) && (check === "" || passed().includes(check));
  const replay = () => {
    rmSync(out, { recursive: true, force: true });
    cpSync(join(entry, "trained"), out, { recursive: true });
    process.stdout.write(readFileSync(join(entry, "stdout")));
    return { code: 0 };
  };
  if (reusable()) return replay();
  mkdirSync(dirname(entry), { recursive: true });
  const result = await whileHolding(`${entry}.lock`, reusable, async () => {
    if (reusable()) return replay(); // trained while this call waited for the lock
    const run = await runReal(oneThread());
    if (run.code !== 0) return run;
    if (!existsSync(entry)) {
      const staging = `${entry}.partial-${process.pid}`;
      cpSync(out, join(staging, "trained"), { recursive: true });
      writeFileSync(join(staging, "stdout"), run.stdout);
      writeFileSync(join(staging, "checks"), "");
      renameSync(staging, entry);
    }
    appendFileSync(join(entry, "checks"), `${check}\n`);
    return run;
  });
  return result ?? replay();
}

const { code, signal } = await main();
if (signal) process.kill(process.pid, signal);
else process.exitCode = code ?? 1;
