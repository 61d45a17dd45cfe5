#!/usr/bin/env node
/**
 * The trainer's Python for tests that train the same adapter on the same data (retrain.test.ts and the
 * demo in cli.test.ts): `train.py --recipe R [--check-prompts C]` trains once per test run, and a later
 * call is answered from that training (its output folder, and what train.py printed). The key is all
 * that decides the result: train.py, the recipe but for its paths, the bytes of the data and of the base.
 * A call with --check-prompts reuses only a training that passed the same check; a call without reuses
 * any. Every other call runs the real Python ($LORAGATE_REAL_TRAINER_PYTHON) as it is.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

const REAL = process.env.LORAGATE_REAL_TRAINER_PYTHON;
const args = process.argv.slice(2);
const [script, flag, recipePath, checkFlag, checkPath, ...extra] = args;
const shared =
  basename(script ?? "") === "train.py" &&
  flag === "--recipe" &&
  (checkFlag === undefined || (checkFlag === "--check-prompts" && checkPath !== undefined)) &&
  extra.length === 0;

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
function runReal() {
  return new Promise((resolve) => {
    const child = spawn(REAL, args, { stdio: ["inherit", "pipe", "inherit"] });
    const stdout = [];
    child.stdout.on("data", (chunk) => {
      stdout.push(chunk);
      process.stdout.write(chunk);
    });
    for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));
    child.on("close", (code, signal) => resolve({ code, signal, stdout: Buffer.concat(stdout) }));
  });
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
  const check = checkPath === undefined ? "" : sha256(readFileSync(checkPath));
  const entry = join(tmpdir(), "loragate-shared-trainings", key);
  const checks = () => readFileSync(join(entry, "checks"), "utf8").split("\n");
  if (existsSync(entry) && (check === "" || checks().includes(check))) {
    rmSync(out, { recursive: true, force: true });
    cpSync(join(entry, "trained"), out, { recursive: true });
    process.stdout.write(readFileSync(join(entry, "stdout")));
    return { code: 0 };
  }
  const result = await runReal();
  if (result.code !== 0) return result;
  if (!existsSync(entry)) {
    const staging = `${entry}.partial-${process.pid}`;
    cpSync(out, join(staging, "trained"), { recursive: true });
    writeFileSync(join(staging, "stdout"), result.stdout);
    writeFileSync(join(staging, "checks"), "");
    renameSync(staging, entry);
  }
  appendFileSync(join(entry, "checks"), `${check}\n`);
  return result;
}

const { code, signal } = await main();
if (signal) process.kill(process.pid, signal);
else process.exitCode = code ?? 1;
