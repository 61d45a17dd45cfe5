import { createReadStream } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readBenchmarkItems } from "../core/contamination/check.ts";
import type { BenchmarkItem } from "../core/schemas/records.ts";
import type { RegistrySource, SourceEntry } from "../core/registry/source.ts";

const CHUNK_BYTES = 1 << 20;

/** A registry on the local disk. Never follows symlinks; paths are registry-relative. */
export class FsRegistrySource implements RegistrySource {
  constructor(private readonly root: string) {}

  async stat(path: string): Promise<SourceEntry | undefined> {
    try {
      const s = await lstat(join(this.root, path));
      const kind = s.isSymbolicLink() ? "symlink" : s.isFile() ? "file" : s.isDirectory() ? "dir" : "other";
      return { path, kind, size: kind === "file" ? s.size : 0 };
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === "ENOENT" ||
        (error as NodeJS.ErrnoException).code === "ENOTDIR"
      )
        return undefined;
      throw error;
    }
  }

  async list(dir: string): Promise<SourceEntry[]> {
    const out: SourceEntry[] = [];
    const top = await this.stat(dir);
    if (top?.kind !== "dir") return out;
    const walk = async (rel: string) => {
      const names = (await readdir(join(this.root, rel))).sort();
      for (const name of names) {
        const entry = (await this.stat(`${rel}/${name}`))!;
        out.push(entry);
        if (entry.kind === "dir") await walk(entry.path);
      }
    };
    await walk(dir);
    return out;
  }

  async read(path: string): Promise<Uint8Array> {
    return readFile(join(this.root, path));
  }

  localPath(path: string): string {
    return join(this.root, path);
  }

  stream(path: string): AsyncIterable<Uint8Array> {
    return createReadStream(join(this.root, path), { highWaterMark: CHUNK_BYTES });
  }
}

/**
 * The valid items of a benchmark JSONL outside any registry (`loragate eval --benchmark`), with lines up
 * to 1 MiB as the default limits allow; its problems are `check`'s to report.
 */
export function readBenchmarkFile(path: string): Promise<BenchmarkItem[]> {
  return readBenchmarkItems(new FsRegistrySource(dirname(path)), basename(path), 1 << 20);
}
