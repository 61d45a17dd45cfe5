/**
 * The files of a Hugging Face base folder (as `hf download --local-dir` writes it), hashed for
 * registry.yaml's base.training.files. Links, FIFOs and other non-files are refused, never followed or
 * opened (a FIFO blocks a read for ever); hidden entries (`.cache/`, `.gitattributes`) are download
 * bookkeeping the trainer never loads, so they are left out.
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { sha256File } from "./sha256-file.ts";

export class BaseFolderError extends Error {}

/** sha256 of every non-hidden regular file under `dir`, by its path inside `dir` (forward slashes). */
export async function hashBaseFolder(
  dir: string,
): Promise<{ files: Record<string, string>; hidden: string[] }> {
  const files: Record<string, string> = {};
  const hidden: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (name.startsWith(".")) {
        hidden.push(path);
        continue;
      }
      const stat = await lstat(join(dir, path));
      if (stat.isSymbolicLink())
        throw new BaseFolderError(
          `${join(dir, path)} is a symbolic link: pin a folder of real files (hf download --local-dir, not the hub cache's snapshot links)`,
        );
      if (stat.isDirectory()) await walk(path);
      else if (stat.isFile()) files[path] = await sha256File(join(dir, path));
      else
        throw new BaseFolderError(
          `${join(dir, path)} is not a regular file (a FIFO, socket or device is never read)`,
        );
    }
  };
  await walk("");
  if (Object.keys(files).length === 0) throw new BaseFolderError(`${dir} holds no files to pin`);
  return { files, hidden };
}
