import type { Finding } from "../core/findings/findings.ts";
import { loadDocument } from "../core/registry/load-document.ts";
import { CONFIG_FILE, REGISTRY_FILE } from "../core/registry/registry-context.ts";
import { type Config, ConfigSchema, DEFAULT_CONFIG } from "../core/schemas/config.ts";
import { missingPins, RegistrySchema } from "../core/schemas/registry.ts";
import { readFileAt } from "./repo-files.ts";
import type { GitHub, RepoRef } from "./types.ts";

/** `.github/loragate.yml` at a ref (the default branch: maintainers' settings), validated; defaults when absent. */
export async function readConfig(params: {
  github: GitHub;
  repo: RepoRef;
  ref: string;
}): Promise<{ config: Config; findings: Finding[] }> {
  const content = await readFileAt({ ...params, path: CONFIG_FILE });
  if (!content) return { config: DEFAULT_CONFIG, findings: [] };
  const loaded = loadDocument(CONFIG_FILE, content, ConfigSchema);
  return loaded.ok
    ? { config: loaded.value, findings: [] }
    : { config: DEFAULT_CONFIG, findings: loaded.findings };
}

/**
 * The base pins registry.yaml at a ref still lacks (an imported registry starts without them); none when
 * it is absent or does not load, which the validate check reports on its own.
 */
export async function missingBasePins(params: {
  github: GitHub;
  repo: RepoRef;
  ref: string;
}): Promise<string[]> {
  const content = await readFileAt({ ...params, path: REGISTRY_FILE });
  const loaded = content && loadDocument(REGISTRY_FILE, content, RegistrySchema);
  return loaded && loaded.ok ? missingPins(loaded.value) : [];
}
