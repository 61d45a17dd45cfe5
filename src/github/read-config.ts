import type { Finding } from "../core/findings/findings.ts";
import { loadDocument } from "../core/registry/load-document.ts";
import { CONFIG_FILE } from "../core/registry/registry-context.ts";
import { type Config, ConfigSchema, DEFAULT_CONFIG } from "../core/schemas/config.ts";
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
