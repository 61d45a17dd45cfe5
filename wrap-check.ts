import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureBaseOf, fixtureManifest } from "./src/eval/fixture-model.ts";
import { writeModelCache } from "./src/eval/model-cache.ts";
import { trainingRecipe } from "./src/core/schemas/training-recipe.ts";
import { loadRegistryDocument } from "./test/support/registry.ts";
import { SHARED_TRAINER_PYTHON, TRAINER_SCRIPT } from "./test/support/trainer.ts";
const dir = mkdtempSync(join(tmpdir(), "wrapcheck-"));
process.env.TMPDIR = dir;
const { trainingBase } = writeModelCache({ registry: loadRegistryDocument(), cacheDir: join(dir, "m"), ...fixtureBaseOf("fixtures/registry") });
const manifest = fixtureManifest("fixtures/registry");
manifest.training.epochs = 1;
const data = join(dir, "d.jsonl");
writeFileSync(data, readFileSync("fixtures/registry/adapters/math-gsm8k/training/dataset.jsonl"));
for (const n of [1, 2]) {
  const out = join(dir, `out${n}`);
  const recipe = join(dir, `r${n}.json`);
  writeFileSync(recipe, JSON.stringify(trainingRecipe(manifest, { baseModel: trainingBase, dataset: data, outputDir: out }, false)));
  const t = performance.now();
  const stdout = execFileSync(SHARED_TRAINER_PYTHON, [TRAINER_SCRIPT, "--recipe", recipe], { encoding: "utf8", env: { ...process.env, TMPDIR: dir } });
  console.log(n, Math.round(performance.now() - t), "ms", stdout.split("\n").filter(Boolean).slice(-1)[0], readFileSync(join(out, "loss.jsonl"), "utf8").split("\n").length);
}
