/**
 * The bundled fixture registry's pinned base: a tiny llama generated from a seed, its tokenizer learned
 * from the valid adapter's training data, written both as the runner's model cache holds a base (the
 * GGUF the harness evaluates, the Hugging Face folder the trainer fine-tunes: see model-cache.ts). The
 * demo, the tests and fixtures/generate.ts (which pins its sha256) all make it here, so they agree.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type TinyBase, tinyBase } from "../gguf/tiny-base.ts";
import { loadDocument } from "../core/registry/load-document.ts";
import { mulberry32 } from "../core/random.ts";
import { type AdapterManifest, AdapterManifestSchema } from "../core/schemas/adapter.ts";

/** The fixture registry's valid adapter, trained for real by the tests and the demo. */
export const FIXTURE_ADAPTER = "math-gsm8k";

/** The base for a registry whose valid adapter trains on `trainingJsonl` (other weights with another seed). */
export function fixtureBase(trainingJsonl: string, seed?: number): TinyBase {
  const corpus = trainingJsonl
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const { instruction, input, output } = JSON.parse(line) as Record<string, string>;
      return `${instruction}\n\n${input}\n${output}`;
    });
  return tinyBase({ architecture: "llama", corpus, name: "loragate fixture base", seed });
}

export function fixtureBaseOf(registryRoot: string): TinyBase {
  return fixtureBase(
    readFileSync(join(registryRoot, "adapters", FIXTURE_ADAPTER, "training", "dataset.jsonl"), "utf8"),
  );
}

/** The fixture adapter's adapter.yaml, parsed (it validates: the fixture tests say so). */
export function fixtureManifest(registryRoot: string): AdapterManifest {
  const file = join(registryRoot, "adapters", FIXTURE_ADAPTER, "adapter.yaml");
  const loaded = loadDocument(file, readFileSync(file), AdapterManifestSchema);
  if (!loaded.ok) throw new Error(`${file} does not load`);
  return loaded.value;
}

/**
 * The fixture adapter's data with every answer moved to another example (seeded): the same questions
 * and the same answers, no mapping left to learn. Trained the same way, it must fail the bar.
 */
export function shuffleAnswers(trainingJsonl: string, seed = 11): string {
  const records = trainingJsonl
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, string>);
  const outputs = records.map((r) => r.output);
  const random = mulberry32(seed);
  for (let i = outputs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [outputs[i], outputs[j]] = [outputs[j], outputs[i]];
  }
  return `${records.map((r, i) => JSON.stringify({ ...r, output: outputs[i] })).join("\n")}\n`;
}
