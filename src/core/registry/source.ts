/**
 * Where registry files come from: a local folder (CLI, action) or a pull request at a sha (app).
 * The core reads only through this, so every caller runs the same validation.
 */
export interface SourceEntry {
  /** Registry-relative path with forward slashes. */
  path: string;
  kind: "file" | "dir" | "symlink" | "other";
  /** Bytes; 0 for non-files. */
  size: number;
}

export interface RegistrySource {
  /** The entry at a path, or undefined when nothing is there. Never follows symlinks. */
  stat(path: string): Promise<SourceEntry | undefined>;
  /** Every entry below a folder, recursively, without following symlinks. */
  list(dir: string): Promise<SourceEntry[]>;
  /** A whole (small) file. */
  read(path: string): Promise<Uint8Array>;
  /** A file as a stream of chunks, for datasets of any size. */
  stream(path: string): AsyncIterable<Uint8Array>;
  /** The file's path on the local disk, when it has one: large files are then read by several threads. */
  localPath?(path: string): string | undefined;
}
