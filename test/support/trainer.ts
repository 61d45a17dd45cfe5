/**
 * The trainer's Python environment for tests: $LORAGATE_TRAINER_PYTHON, else the one
 * `npm run trainer:setup` makes (.venv-trainer). Tests that train skip without it and say so,
 * except in CI (.ci/run sets LORAGATE_REQUIRE_TRAINER), where its absence fails them.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe } from "vitest";
import { checkoutTrainerPython, trainerScript } from "../../src/action/train-adapter.ts";

const ROOT = join(import.meta.dirname, "..", "..");
export const TRAINER_SCRIPT = trainerScript(ROOT);
export const TRAINER_PYTHON = checkoutTrainerPython(ROOT);
const present = existsSync(TRAINER_PYTHON);

if (!present && process.env.LORAGATE_REQUIRE_TRAINER)
  throw new Error(
    `LORAGATE_REQUIRE_TRAINER is set but ${TRAINER_PYTHON} does not exist: run npm run trainer:setup`,
  );
if (!present) console.warn(`tests that train skipped: no ${TRAINER_PYTHON} (npm run trainer:setup makes it)`);

/**
 * TRAINER_PYTHON behind test/support/shared-trainer.mjs, for tests that train what another test trains
 * too (the fixture adapter, on its data and with shuffled answers): one training of each per run.
 */
export const SHARED_TRAINER_PYTHON = join(import.meta.dirname, "shared-trainer.mjs");
process.env.LORAGATE_REAL_TRAINER_PYTHON = TRAINER_PYTHON;

/** describe() where the trainer's Python exists, describe.skip elsewhere. */
export const describeWithTrainer = present ? describe : describe.skip;
