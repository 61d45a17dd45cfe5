/**
 * runners/trainer/train.py's argument and data handling, run with the machine's Python (no torch
 * needed: --plan stops before training). Skipped, saying so, where there is no python3.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDocument } from "../src/core/load-document.ts";
import { AdapterManifestSchema, type AdapterManifest } from "../src/core/schemas/adapter.ts";
import { trainingRecipe } from "../src/core/training-recipe.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";
import { readFileSync } from "node:fs";

const TRAINER = join(import.meta.dirname, "..", "runners", "trainer", "train.py");
const python = spawnSync("python3", ["--version"]).status === 0;
if (!python) console.warn("trainer tests skipped: no python3 on this machine");

const dir = mkdtempSync(join(tmpdir(), "loragate-trainer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const baseModel = join(dir, "base");
mkdirSync(baseModel);
writeFileSync(join(baseModel, "config.json"), JSON.stringify({ model_type: "llama" }));
const adapterDir = join(FIXTURE_ROOT, "adapters", "math-gsm8k");
const loaded = loadDocument(
  "adapter.yaml",
  readFileSync(join(adapterDir, "adapter.yaml")),
  AdapterManifestSchema,
);
const manifest = (loaded.ok ? loaded.value : undefined) as AdapterManifest;
const dataset = join(adapterDir, "training", "dataset.jsonl");

function plan(recipe: object) {
  const path = join(dir, `recipe-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(recipe));
  const run = spawnSync("python3", [TRAINER, "--recipe", path, "--plan"], { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe.skipIf(!python)("the trainer (python3 train.py --plan)", () => {
  const recipe = trainingRecipe(manifest, { baseModel, dataset, outputDir: join(dir, "out") }, false);

  it("plans exactly the declared recipe: 520 examples x 10 epochs at batch 4 = 1300 steps", () => {
    const run = plan(recipe);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      examples: 520,
      epochs: 10,
      batch_size: 4,
      steps: 1300,
      lora: { r: 16, alpha: 64, targets: manifest.lora.target_modules },
      seed: 42,
    });
  });

  it.each([
    [{ r: 0 }, /r must be between 1 and 256, got 0/],
    [{ learning_rate: "fast" }, /learning_rate must be a number/],
    [{ batch_size: 2.5 }, /batch_size must be a whole number/],
    [{ target_modules: ["lm_head"] }, /target_modules must be a non-empty subset/],
    [{ dataset: join(dir, "missing.jsonl") }, /dataset .*missing.jsonl not found/],
    [{ base_model: dir }, /has no config.json \(the runner's model cache\)/],
  ])("refuses %j with exit 2 and the reason", (change, message) => {
    const run = plan({ ...recipe, ...change });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it("refuses data it cannot train on, at the line", () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"instruction":"a","input":"","output":"b"}\n{"instruction": 1}\n');
    const run = plan({ ...recipe, dataset: bad });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.jsonl:2: needs instruction, input and output strings/);
  });

  it("length-grouped batches: every example once per epoch, the recipe's batch size, similar lengths", () => {
    const script = `
import json, random, sys
sys.path.insert(0, ${JSON.stringify(join(TRAINER, ".."))})
from train import length_grouped_batches
rng = random.Random(1)
lengths = [rng.randint(64, 384) for _ in range(500)]
out = []
for epoch in range(2):
    batches = length_grouped_batches(lengths, 4, 42, epoch)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    out.append({"ids": sorted(i for b in batches for i in b), "sizes": sorted({len(b) for b in batches}),
                "spread": spread, "first": batches[0]})
print(json.dumps(out))`;
    const run = spawnSync("python3", ["-c", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const [first, second] = JSON.parse(run.stdout) as {
      ids: number[];
      sizes: number[];
      spread: number;
      first: number[];
    }[];
    expect(first!.ids).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(first!.sizes).toEqual([4]);
    expect(first!.spread).toBeLessThan(20); // random batches of 4 would spread ~160 tokens
    expect(second!.first).not.toEqual(first!.first); // the order changes per epoch
  });
});
