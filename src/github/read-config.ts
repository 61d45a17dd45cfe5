import type { Finding } from "../core/findings.ts";
import { loadDocument } from "../core/load-document.ts";
import { CONFIG_FILE } from "../core/registry-context.ts";
import { type Config, ConfigSchema, DEFAULT_CONFIG } from "../core/schemas/config.ts";
import type { GitHub, RepoRef } from "./types.ts";

/** `.github/loragate.yml` at a ref (the default branch: maintainers' settings), validated; defaults when absent. */
export async function readConfig(params: {
  github: GitHub;
  repo: RepoRef;
  ref: string;
}): Promise<{ config: Config; findings: Finding[] }> {
  let content: string;
  try {
    const { data } = await params.github.rest.repos.getContent({
      ...params.repo,
      path: CONFIG_FILE,
      ref: params.ref,
    });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data))
      return { config: DEFAULT_CONFIG, findings: [] };
    content = data.content;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return { config: DEFAULT_CONFIG, findings: [] };
    throw error;
  }
  const loaded = loadDocument(CONFIG_FILE, Buffer.from(content, "base64"), ConfigSchema);
  return loaded.ok
    ? { config: loaded.value, findings: [] }
    : { config: DEFAULT_CONFIG, findings: loaded.findings };
}
