import { createReadStream } from "node:fs";
import { lstat, readdir, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { RegistrySource, SourceEntry } from "../core/registry/source.ts";
import { openRegularFile } from "./open-regular-file.ts";

const CHUNK_BYTES = 1 << 20;

/**
 * A registry on the local disk. Never follows symlinks, at the end of a path or on the way to it: a path
 * through a linked folder is that link (the registry's own folders only; the root itself may be a link).
 * Paths are registry-relative.
 */
export class FsRegistrySource implements RegistrySource {
  constructor(private readonly root: string) {}

  async stat(path: string): Promise<SourceEntry | undefined> {
    const link = await this.linkOnTheWay(path);
    if (link === null) return undefined;
    if (link !== undefined) return { path, kind: "symlink", size: 0 };
    return this.statUnder(path);
  }

  async list(dir: string): Promise<SourceEntry[]> {
    const out: SourceEntry[] = [];
    const top = await this.stat(dir);
    if (top?.kind !== "dir") return out;
    const walk = async (rel: string) => {
      const names = (await readdir(join(this.root, rel))).sort();
      for (const name of names) {
        // rel is a real folder (walked from a "dir" entry), so only the last component needs a look
        const entry = await this.statUnder(`${rel}/${name}`);
        if (!entry) continue; // gone since readdir
        out.push(entry);
        if (entry.kind === "dir") await walk(entry.path);
      }
    };
    await walk(dir);
    return out;
  }

  async read(path: string): Promise<Uint8Array> {
    const handle = await this.openFile(path);
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  localPath(path: string): string {
    return join(this.root, path);
  }

  async *stream(path: string): AsyncIterable<Uint8Array> {
    const handle = await this.openFile(path);
    // the stream closes the handle when it ends or fails
    yield* createReadStream("", { fd: handle, highWaterMark: CHUNK_BYTES }) as AsyncIterable<Uint8Array>;
  }

  /** A regular file reached through no link, open for reading; anything else is an error naming the path. */
  private async openFile(path: string): Promise<FileHandle> {
    if ((await this.linkOnTheWay(path)) !== undefined)
      throw Object.assign(new Error(`${path} is not a regular file reached without a link`), {
        code: "ELOOP",
      });
    return openRegularFile(join(this.root, path), false).catch((error: NodeJS.ErrnoException) => {
      throw Object.assign(new Error(`${path} is not a regular file reached without a link (${error.code})`), {
        code: error.code,
      });
    });
  }

  /**
   * The first folder on the way to `path` (not `path` itself) that is a symlink; null when one is missing
   * or not a folder (nothing is there); undefined when every one is a real folder.
   */
  private async linkOnTheWay(path: string): Promise<string | null | undefined> {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join("/");
      const entry = await this.statUnder(folder);
      if (entry?.kind === "symlink") return folder;
      if (entry?.kind !== "dir") return null;
    }
    return undefined;
  }

  private async statUnder(path: string): Promise<SourceEntry | undefined> {
    try {
      const s = await lstat(join(this.root, path));
      const kind = s.isSymbolicLink() ? "symlink" : s.isFile() ? "file" : s.isDirectory() ? "dir" : "other";
      return { path, kind, size: kind === "file" ? s.size : 0 };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw error;
    }
  }
}
