import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { checkRegistry } from "../../src/core/check.ts";
import { loadDocument } from "../../src/core/registry/load-document.ts";
import { loadRegistryContext } from "../../src/core/registry/registry-context.ts";
import { expectedResultsFor } from "../../src/core/contamination/benchmarks-for.ts";
import { type Registry, RegistrySchema } from "../../src/core/schemas/registry.ts";
import type { Results } from "../../src/core/schemas/results.ts";
import { FsRegistrySource } from "../../src/io/fs-source.ts";
import { type AdapterReport, validateAdapter } from "../../src/core/adapter/validate-adapter.ts";
import { MemoryRegistrySource } from "../../src/io/memory-source.ts";

export const FIXTURE_ROOT = join(import.meta.dirname, "..", "..", "fixtures", "registry");

/** Every file under a folder, as registry-relative path -> bytes (symlinks kept as links). */
export function readTree(root: string, rel = ""): Map<string, Buffer | { symlink: string }> {
  const out = new Map<string, Buffer | { symlink: string }>();
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const stat = lstatSync(join(root, path));
    if (stat.isSymbolicLink()) out.set(path, { symlink: readlinkSync(join(root, path)) });
    else if (stat.isDirectory()) for (const [k, v] of readTree(root, path)) out.set(k, v);
    else out.set(path, readFileSync(join(root, path)));
  }
  return out;
}

/**
 * An in-memory registry with the fixture's registry.yaml, config, benchmarks and one copy of the
 * valid adapter under `name`; tests then break exactly one thing.
 */
export function registryWithValidAdapter(name = "math-gsm8k"): MemoryRegistrySource {
  const source = new MemoryRegistrySource();
  for (const [path, data] of readTree(FIXTURE_ROOT)) {
    if (path.startsWith("adapters/")) {
      if (!path.startsWith("adapters/math-gsm8k/")) continue;
      const target = `adapters/${name}/${path.slice("adapters/math-gsm8k/".length)}`;
      const text = path.endsWith("adapter.yaml")
        ? data.toString().replace("name: math-gsm8k", `name: ${name}`)
        : data;
      source.set(target, text as Buffer);
    } else source.set(path, data as Buffer);
  }
  return source;
}

export async function validateIn(source: MemoryRegistrySource, name = "math-gsm8k"): Promise<AdapterReport> {
  const context = await loadRegistryContext(source);
  return validateAdapter({ source, name, context });
}

/**
 * `results` made complete for the fixture registry's math-gsm8k (or the registry at `root`), as the gate
 * checks it: its own, domain and out-of-domain benchmarks with the registry's item ids and sha256s (each
 * takes the outcomes of the same-named benchmark in `results`, else of its first), hidden ones kept, each
 * under the registry's token budget, this harness.
 */
export async function completeForFixture(results: Results, root = FIXTURE_ROOT): Promise<Results> {
  const expected = await expectedResultsFor({
    source: new FsRegistrySource(root),
    adapter: "math-gsm8k",
    hiddenBenchmarks: 0,
  });
  if (typeof expected === "string") throw new Error(expected);
  const like = (name: string) => results.benchmarks.find((b) => b.name === name) ?? results.benchmarks[0]!;
  return {
    ...results,
    harness: expected.harness,
    benchmarks: [
      ...expected.benchmarks.map((b) => ({
        ...like(b.name),
        name: b.name,
        kind: b.kind,
        sha256: b.sha256,
        max_tokens: b.maxTokens,
        outcomes: b.items.map((item, i) => ({
          ...like(b.name).outcomes[i % like(b.name).outcomes.length]!,
          id: item.id,
        })),
      })),
      ...results.benchmarks
        .filter((b) => b.kind === "hidden")
        .map((b) => ({ ...b, max_tokens: expected.hiddenMaxTokens })),
    ],
  };
}

/** The fixture's registry.yaml, parsed. */
export function loadRegistryDocument(root = FIXTURE_ROOT): Registry {
  const loaded = loadDocument("registry.yaml", readFileSync(join(root, "registry.yaml")), RegistrySchema);
  if (!loaded.ok) throw new Error(`${root}/registry.yaml does not load`);
  return loaded.value;
}

export { checkRegistry };
