/** Finding a LocoLLM adapter's files, which its repository names loosely or not at all. */
import { checkRelativePath } from "../registry/paths.ts";
import type { RegistrySource } from "../registry/source.ts";

/** The adapter's training data: a .jsonl in its folder whose name says train (else the only other one). */
export async function trainingFileOf(
  source: RegistrySource,
  dir: string,
  evalPath?: string,
): Promise<string | undefined> {
  const candidates = (await source.list(dir))
    .filter((e) => e.kind === "file" && e.path.endsWith(".jsonl") && e.path !== evalPath)
    .map((e) => e.path)
    .sort();
  return (
    candidates.find((p) => /train/i.test(p.slice(dir.length))) ??
    (candidates.length === 1 ? candidates[0] : undefined)
  );
}

export async function otherFiles(
  source: RegistrySource,
  dir: string,
  used: (string | undefined)[],
): Promise<string[]> {
  return (await source.list(dir))
    .filter((e) => e.kind === "file" && !used.includes(e.path))
    .map((e) => e.path)
    .sort();
}

export async function firstFile(
  source: RegistrySource,
  paths: (string | undefined)[],
): Promise<string | undefined> {
  for (const path of paths) {
    if (!path || checkRelativePath(path)) continue; // a path that climbs out is never read
    if ((await source.stat(path))?.kind === "file") return path;
  }
  return undefined;
}

/** The SPDX id of the repository's LICENSE, when it is one of the common texts. */
export async function licenseOf(source: RegistrySource): Promise<string | undefined> {
  for (const file of ["LICENSE", "LICENSE.md", "LICENSE.txt"]) {
    const entry = await source.stat(file);
    if (entry?.kind !== "file" || entry.size > 1 << 20) continue;
    const text = Buffer.from(await source.read(file)).toString("utf8");
    if (/^\s*MIT License/i.test(text)) return "MIT";
    if (/Apache License[\s\S]*Version 2\.0/i.test(text)) return "Apache-2.0";
    if (/GNU GENERAL PUBLIC LICENSE[\s\S]*Version 3/i.test(text)) return "GPL-3.0-only";
  }
  return undefined;
}
