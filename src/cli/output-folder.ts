/**
 * Folders the CLI writes (an imported registry, a site): whole or not at all, and never over a folder
 * the user keeps something else in. A marker file says "loragate wrote this; a rerun may replace it".
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { mapConcurrently } from "../core/concurrency.ts";

/** Why `out` may not be written: a file, or a folder with other things in it than an earlier run's. */
export function outputFolderProblem(out: string, marker: string, what: string): string | undefined {
  if (!existsSync(out)) return undefined;
  if (!statSync(out).isDirectory()) return `--out ${out} is a file`;
  const entries = readdirSync(out);
  if (entries.length === 0 || entries.includes(marker)) return undefined;
  return `--out ${out} is not empty and holds no earlier ${what} (${marker}): choose a new folder`;
}

/** Runs `fill` on a sibling staging folder, then swaps it in for `out` (an earlier run's, or nothing). */
export async function replaceFolder(out: string, fill: (staging: string) => Promise<void>): Promise<void> {
  const staging = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    await fill(staging);
    await rm(out, { recursive: true, force: true }); // outputFolderProblem said this may go
    await rename(staging, out);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Writes text files under `root`: their folders first, then the files a few at a time. */
export async function writeFiles(root: string, files: Iterable<readonly [string, string]>): Promise<void> {
  const entries = [...files];
  for (const folder of new Set(entries.map(([path]) => dirname(join(root, path)))))
    await mkdir(folder, { recursive: true });
  await mapConcurrently(entries, 16, ([path, text]) => writeFile(join(root, path), text));
}
