/**
 * The runner's model cache (LORAGATE_MODEL_CACHE): the pinned inference base as `<inference.file>` and
 * the training base as `<hub_id with / as -->/<revision>/` (config.json, safetensors, tokenizer).
 * registry.yaml's schema keeps hub_id and revision to safe characters, so these stay inside the cache.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pinnedBase, type Registry } from "../core/schemas/registry.ts";

/** Where the registry's base lies in a model cache; throws when registry.yaml does not pin it yet. */
export function modelCachePaths(
  registry: Registry,
  cacheDir: string,
): { gguf: string; trainingBase: string } {
  const { training, inference } = pinnedBase(registry);
  return {
    gguf: join(cacheDir, inference.file),
    trainingBase: join(cacheDir, training.hub_id.replaceAll("/", "--"), training.revision),
  };
}

/** Fills a model cache with one base in its two formats (the demo's and the tests' runner). */
export function writeModelCache(params: {
  registry: Registry;
  cacheDir: string;
  gguf: Buffer;
  hf: Record<string, Buffer>;
}): { gguf: string; trainingBase: string } {
  const paths = modelCachePaths(params.registry, params.cacheDir);
  mkdirSync(paths.trainingBase, { recursive: true });
  for (const [file, bytes] of Object.entries(params.hf)) writeFileSync(join(paths.trainingBase, file), bytes);
  writeFileSync(paths.gguf, params.gguf);
  return paths;
}
