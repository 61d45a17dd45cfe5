/**
 * The bundled fixture registry's pinned base: a tiny llama generated from a seed, its tokenizer learned
 * from the valid adapter's training data, written both as the runner's model cache holds a base (the
 * GGUF the harness evaluates, the Hugging Face folder the trainer fine-tunes: see model-cache.ts). The
 * demo, the tests and fixtures/generate.ts (which pins its sha256) all make it here, so they agree.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type TinyBase, tinyBase } from "../core/gguf/tiny-base.ts";

/** The fixture registry's valid adapter, trained for real by the tests and the demo. */
export const FIXTURE_ADAPTER = "math-gsm8k";

/** The base for a registry whose valid adapter trains on `trainingJsonl`. */
export function fixtureBase(trainingJsonl: string): TinyBase {
  const corpus = trainingJsonl
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const { instruction, input, output } = JSON.parse(line) as Record<string, string>;
      return `${instruction}\n\n${input}\n${output}`;
    });
  return tinyBase({ architecture: "llama", corpus, name: "loragate fixture base" });
}

export function fixtureBaseOf(registryRoot: string): TinyBase {
  return fixtureBase(
    readFileSync(join(registryRoot, "adapters", FIXTURE_ADAPTER, "training", "dataset.jsonl"), "utf8"),
  );
}
