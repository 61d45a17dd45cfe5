import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { listAdapterNames } from "../core/check.ts";
import {
  IMPORT_COMMAND,
  LOCOLLM_INDEX,
  looksLikeLocoLLM,
  REGISTRY_FILE,
} from "../core/registry/registry-context.ts";
import { FsRegistrySource } from "../io/fs-source.ts";

/**
 * Why `root` is not a registry to check: not a folder, or no registry.yaml (and, for a LocoLLM repository,
 * how to import it).
 */
export async function registryProblem(root: string): Promise<string | undefined> {
  const notFolder = folderProblem(root, "registry folder");
  if (notFolder) return notFolder;
  const source = new FsRegistrySource(root);
  if ((await source.stat(REGISTRY_FILE)) !== undefined) return undefined;
  return (await looksLikeLocoLLM(source))
    ? `${root} looks like a LocoLLM repository (${LOCOLLM_INDEX}, no registry.yaml): convert it first with\n  ${IMPORT_COMMAND.replace("DIR", root)}`
    : `${root} has no registry.yaml: not a loragate registry (run loragate in the registry's root, or pass its path)`;
}

/** Why an `--adapter NAME` names no folder under the registry's adapters/ (a typo, most often): those it has. */
export async function adapterProblem(root: string, wanted: string[]): Promise<string | undefined> {
  if (wanted.length === 0) return undefined;
  const names = await listAdapterNames(new FsRegistrySource(root));
  const name = wanted.find((n) => !names.includes(n));
  if (name === undefined) return undefined;
  const shown = names.slice(0, 10).join(", ") + (names.length > 10 ? `, and ${names.length - 10} more` : "");
  return `no adapter ${JSON.stringify(name)} in ${join(root, "adapters")}: ${names.length === 0 ? "it has none" : `it has ${shown}`}`;
}

/** Why `path` cannot be read as a folder, or undefined. */
export function folderProblem(path: string, what: string): string | undefined {
  if (!existsSync(path)) return `${what} not found: ${path}`;
  if (!statSync(path).isDirectory()) return `${what} ${path} is a file, not a folder`;
  return undefined;
}
