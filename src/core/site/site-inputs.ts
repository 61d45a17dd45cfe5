/**
 * What the site is built from, read through a RegistrySource: registry.yaml's adapters, each one's
 * adapter.yaml when it loads, and its stored evaluation records (evaluations/<name>/<version>.json).
 * A record that does not load is skipped and named, never half-shown.
 */
import { mapConcurrently } from "../concurrency.ts";
import { loadDocument } from "../registry/load-document.ts";
import { loadRegistryContext } from "../registry/registry-context.ts";
import type { RegistrySource } from "../registry/source.ts";
import { AdapterManifestSchema } from "../schemas/adapter.ts";
import type { Registry } from "../schemas/registry.ts";
import { type EvaluationRecord, EvaluationRecordSchema } from "../schemas/evaluation-record.ts";
import type { SiteAdapter } from "./render-site.ts";

export const EVALUATIONS_DIR = "evaluations";
const MAX_RECORD_BYTES = 1 << 20;

export async function readSiteInputs(
  source: RegistrySource,
): Promise<{ registry: Registry; adapters: SiteAdapter[]; skipped: string[] } | { problem: string }> {
  const read = await readSiteRegistry(source);
  if ("problem" in read) return read;
  const skipped: string[] = [];
  // Adapters are read a few at a time: one after another, the reads wait on the disk most of the time.
  const adapters = await mapConcurrently(Object.entries(read.registry.adapters), 16, ([name, entry]) =>
    readSiteAdapter(source, name, entry, skipped),
  );
  return { registry: read.registry, adapters, skipped };
}

/** registry.yaml, or why it does not load. */
export async function readSiteRegistry(
  source: RegistrySource,
): Promise<{ registry: Registry } | { problem: string }> {
  const context = await loadRegistryContext(source);
  if (!context.registry)
    return { problem: `registry.yaml does not load: ${context.findings.map((f) => f.message).join("; ")}` };
  return { registry: context.registry };
}

/** One adapter of registry.yaml with its manifest (when it loads) and records; what is skipped is named. */
export async function readSiteAdapter(
  source: RegistrySource,
  name: string,
  entry: Registry["adapters"][string],
  skipped: string[],
): Promise<SiteAdapter> {
  const manifestFile = `adapters/${name}/adapter.yaml`;
  const stat = await source.stat(manifestFile);
  const loaded =
    stat?.kind === "file" && stat.size <= MAX_RECORD_BYTES
      ? loadDocument(manifestFile, await source.read(manifestFile), AdapterManifestSchema)
      : undefined;
  return {
    name,
    entry,
    ...(loaded?.ok ? { manifest: loaded.value } : {}),
    history: await records(source, name, skipped),
  };
}

async function records(source: RegistrySource, name: string, skipped: string[]): Promise<EvaluationRecord[]> {
  const dir = `${EVALUATIONS_DIR}/${name}`;
  const found: EvaluationRecord[] = [];
  for (const entry of await source.list(dir)) {
    if (entry.kind !== "file" || !entry.path.endsWith(".json") || entry.path.split("/").length !== 3)
      continue;
    if (entry.size > MAX_RECORD_BYTES) {
      skipped.push(`${entry.path}: larger than 1 MiB`);
      continue;
    }
    let parsed;
    try {
      parsed = EvaluationRecordSchema.safeParse(
        JSON.parse(Buffer.from(await source.read(entry.path)).toString("utf8")),
      );
    } catch {
      skipped.push(`${entry.path}: not JSON`);
      continue;
    }
    if (!parsed.success)
      skipped.push(`${entry.path}: not an evaluation record (${parsed.error.issues[0]?.path.join(".")})`);
    else if (parsed.data.adapter !== name)
      skipped.push(`${entry.path}: the record is of ${parsed.data.adapter}`);
    else found.push(parsed.data);
  }
  return found;
}
