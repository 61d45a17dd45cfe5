/**
 * The runner's model cache (LORAGATE_MODEL_CACHE): the pinned inference base as `<inference.file>` and
 * the training base as `<hub_id with / as -->/<revision>/` (config.json, safetensors, tokenizer).
 * registry.yaml's schema keeps hub_id and revision to safe characters, so these stay inside the cache.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type PinnedBase, pinnedBase, type Registry } from "../core/schemas/registry.ts";

/** Where a pinned base lies in a model cache. */
export function modelCachePaths(base: PinnedBase, cacheDir: string): { gguf: string; trainingBase: string } {
  const { training, inference } = base;
  return {
    gguf: join(cacheDir, inference.file),
    trainingBase: join(cacheDir, training.hub_id.replaceAll("/", "--"), training.revision),
  };
}

/** Fills a model cache with one base in its two formats (the demo's and the tests' runner); throws when registry.yaml does not pin it. */
export function writeModelCache(params: {
  registry: Registry;
  cacheDir: string;
  gguf: Buffer;
  hf: Record<string, Buffer>;
}): { gguf: string; trainingBase: string } {
  const paths = modelCachePaths(pinnedBase(params.registry), params.cacheDir);
  mkdirSync(paths.trainingBase, { recursive: true });
  for (const [file, bytes] of Object.entries(params.hf)) writeFileSync(join(paths.trainingBase, file), bytes);
  writeFileSync(paths.gguf, params.gguf);
  return paths;
}
