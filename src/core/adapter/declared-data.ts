/**
 * Where an adapter's data files are, as its adapter.yaml declares them, read without validating the
 * rest: what the contamination check (other adapters' benchmarks) and the app's PR reader (what to
 * download) need before, or without, a full validation.
 */
import { loadDocument } from "../registry/load-document.ts";
import { checkRelativePath, joinPath } from "../registry/paths.ts";
import { type AdapterManifest, AdapterManifestSchema, DEFAULT_DATA_FILES } from "../schemas/adapter.ts";
import type { RegistrySource } from "../registry/source.ts";
import { MANIFEST_FILE } from "./validate-adapter.ts";

/** Largest adapter.yaml read here; validation reports a larger one. */
const MANIFEST_LIMIT = 1 << 20;

/**
 * Registry-relative paths of the adapter's training set and benchmark: the declared ones, the defaults
 * when adapter.yaml is absent or does not load, undefined for a declared path that leaves the folder
 * (validation says why).
 */
export async function declaredDataFiles(
  source: RegistrySource,
  adapter: string,
): Promise<{ train?: string; benchmark?: string }> {
  const data = (await declaredManifest(source, adapter))?.data ?? DEFAULT_DATA_FILES;
  const inFolder = (path: string) =>
    checkRelativePath(path) ? undefined : joinPath("adapters", adapter, path);
  return { train: inFolder(data.train), benchmark: inFolder(data.benchmark) };
}

/** adapter.yaml when it loads, else undefined (validation says why). */
export async function declaredManifest(
  source: RegistrySource,
  adapter: string,
): Promise<AdapterManifest | undefined> {
  const file = `adapters/${adapter}/${MANIFEST_FILE}`;
  const entry = await source.stat(file);
  if (entry?.kind !== "file" || entry.size > MANIFEST_LIMIT) return undefined;
  const loaded = loadDocument(file, await source.read(file), AdapterManifestSchema);
  return loaded.ok ? loaded.value : undefined;
}
