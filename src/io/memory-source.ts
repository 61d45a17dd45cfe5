import type { RegistrySource, SourceEntry } from "../core/registry/source.ts";

/** File bytes, text, a symlink, or a file known only by its size (too large to have been fetched). */
export type MemoryEntry = Uint8Array | string | { symlink: string } | { unfetched: number };

/**
 * A registry held in memory: what the app builds from files read at a PR's head sha,
 * and what tests build by hand. Folders are implied by the paths of their files.
 */
export class MemoryRegistrySource implements RegistrySource {
  private readonly files = new Map<string, Uint8Array | { symlink: string } | { unfetched: number }>();

  constructor(files: Record<string, MemoryEntry> = {}) {
    for (const [path, data] of Object.entries(files)) this.set(path, data);
  }

  set(path: string, data: MemoryEntry): this {
    this.files.set(path, typeof data === "string" ? new TextEncoder().encode(data) : data);
    return this;
  }

  delete(path: string): this {
    this.files.delete(path);
    return this;
  }

  async stat(path: string): Promise<SourceEntry | undefined> {
    const data = this.files.get(path);
    if (data instanceof Uint8Array) return { path, kind: "file", size: data.length };
    if (data && "unfetched" in data) return { path, kind: "file", size: data.unfetched };
    if (data) return { path, kind: "symlink", size: 0 };
    const prefix = `${path}/`;
    for (const key of this.files.keys()) if (key.startsWith(prefix)) return { path, kind: "dir", size: 0 };
    return undefined;
  }

  async list(dir: string): Promise<SourceEntry[]> {
    const prefix = `${dir}/`;
    const paths = new Set<string>();
    for (const key of this.files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const parts = key.slice(prefix.length).split("/");
      for (let i = 1; i <= parts.length; i++) paths.add(prefix + parts.slice(0, i).join("/"));
    }
    const entries = await Promise.all([...paths].sort().map((p) => this.stat(p)));
    return entries.filter((e): e is SourceEntry => e !== undefined);
  }

  async read(path: string): Promise<Uint8Array> {
    const data = this.files.get(path);
    if (!(data instanceof Uint8Array)) throw new Error(`not a readable file: ${path}`);
    return data;
  }

  async *stream(path: string): AsyncIterable<Uint8Array> {
    const data = await this.read(path);
    const chunk = 1 << 16;
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  }
}
