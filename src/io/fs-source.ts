import { createReadStream } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
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
