/**
 * The adapters committed in fixtures/trained/ are what today's runners/trainer/train.py makes from the
 * fixture adapter's data (and the same data with shuffled answers): retrained on CPU with one thread,
 * as `npm run fixtures:train` made them (OMP_NUM_THREADS=1), they are the same bytes and the same loss
 * at every step. The suite's shared training (one thread) answers, so the trainings that retrain.test.ts
 * made through the action are the ones compared here. A change to train.py that changes what it trains
 * fails here until the fixtures are regenerated with it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { committedAdapterPath, trainDemoAdapters } from "../src/cli/demo-evaluation.ts";
import { loadRegistryContext } from "../src/core/registry/registry-context.ts";
import { fixtureBaseOf, fixtureManifest } from "../src/eval/fixture-model.ts";
import { writeModelCache } from "../src/eval/model-cache.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";
import { describeWithTrainer, SHARED_TRAINER_PYTHON } from "./support/trainer.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-fixture-adapters-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithTrainer("fixtures/trained/", () => {
  it("today's train.py reproduces the committed adapters bit for bit on CPU (one thread)", async () => {
    const { registry } = await loadRegistryContext(new FsRegistrySource(FIXTURE_ROOT));
    const { trainingBase } = writeModelCache({
      registry: registry!,
      cacheDir: join(dir, "models"),
      ...fixtureBaseOf(FIXTURE_ROOT),
    });
    const adapters = await trainDemoAdapters({
      registryRoot: FIXTURE_ROOT,
      python: SHARED_TRAINER_PYTHON,
      workDir: join(dir, "train"),
      trainingBase,
      manifest: fixtureManifest(FIXTURE_ROOT),
      log: () => {},
    });
    expect([...adapters.keys()].sort()).toEqual(["shuffled", "trained"]);
    for (const [variant, { gguf, training }] of adapters) {
      const committed = JSON.parse(
        readFileSync(committedAdapterPath(FIXTURE_ROOT, variant, "training.json"), "utf8"),
      );
      expect(training?.loss, variant).toEqual(committed.loss);
      expect(
        Buffer.compare(Buffer.from(gguf), readFileSync(committedAdapterPath(FIXTURE_ROOT, variant, "gguf"))),
        variant,
      ).toBe(0);
    }
  }, 600_000);
});
