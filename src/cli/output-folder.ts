/**
 * Folders the CLI writes (an imported registry, a site): whole or not at all, and never over a folder
 * the user keeps something else in. A marker file says "loragate wrote this; a rerun may replace it",
 * and a folder is replaced only when it holds nothing a run would not write.
 */
import { existsSync, lstatSync, readdirSync, realpathSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { mapConcurrently } from "../core/concurrency.ts";

/** A write the CLI refuses or could not do: said in one line (exit 2), never a stack. */
export class OutputFolderError extends Error {}

/** Where the output folder goes, and what it must never touch. */
export interface OutputFolder {
  out: string;
  /** The file a run of this command writes at the folder's top, which marks it as replaceable. */
  marker: string;
  /** "import", "site": for messages. */
  what: string;
  /** Folders the command reads: the output may not be one, hold one, or lie inside one. */
  inputs: string[];
}

/**
 * Why `out` may not be written: a file; an input folder, a folder inside one or around one (replacing
 * it would delete the input); a folder with other things in it than an earlier run's.
 */
export function outputFolderProblem(p: OutputFolder): string | undefined {
  const out = realPathOf(p.out);
  for (const input of p.inputs) {
    const from = realPathOf(input);
    if (out === from)
      return `--out ${p.out} is the folder the ${p.what} reads: choose a new folder outside it`;
    if (isInside(out, from))
      return `--out ${p.out} lies inside ${input}, which the ${p.what} reads: choose a folder outside it`;
    if (isInside(from, out))
      return `--out ${p.out} holds ${input}, which the ${p.what} reads: choose a new folder`;
  }
  if (!existsSync(p.out)) return undefined;
  const stat = lstatSync(p.out);
  if (stat.isSymbolicLink()) return `--out ${p.out} is a symbolic link: name the folder itself`;
  if (!stat.isDirectory()) return `--out ${p.out} is a file`;
  const entries = readdirSync(p.out);
  if (entries.length === 0 || entries.includes(p.marker)) return undefined;
  return `--out ${p.out} is not empty and holds no earlier ${p.what} (${p.marker}): choose a new folder`;
}

/** Why a file cannot be written at `out` (eval's results.json), asked before the work that fills it. */
export function outputFileProblem(out: string): string | undefined {
  const parent = dirname(resolve(out));
  if (!existsSync(parent) || !lstatSync(parent).isDirectory())
    return `--out ${out} cannot be written: ${dirname(out)} is not a folder`;
  if (existsSync(out) && !lstatSync(out).isFile()) return `--out ${out} is a folder or not a regular file`;
  return undefined;
}

/**
 * Runs `fill` on a sibling staging folder, then swaps it in for `out` (an earlier run's, or nothing).
 * An earlier folder goes only when each thing at its top is something this run wrote too: a marker file
 * alone (a user's own IMPORT_REPORT.md) never makes a repository with `.git` and data replaceable.
 * A folder that cannot be written is an OutputFolderError naming `out` and the system's reason.
 */
export async function replaceFolder(out: string, fill: (staging: string) => Promise<void>): Promise<void> {
  const target = resolve(out); // `--out .` has no usable basename
  const staging = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  try {
    await rm(staging, { recursive: true, force: true });
    await makeFolders(dirname(target));
    await mkdir(staging);
    try {
      await fill(staging);
      await refuseForeignEntries(out, target, staging);
      await rm(target, { recursive: true, force: true });
      await rename(staging, target);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof OutputFolderError || !code) throw error;
    throw new OutputFolderError(`--out ${out} could not be written (${code})`);
  }
}

/** Writes text files under `root`: their folders first, then the files a few at a time. */
export async function writeFiles(root: string, files: Iterable<readonly [string, string]>): Promise<void> {
  const entries = [...files];
  for (const folder of new Set(entries.map(([path]) => dirname(join(root, path)))))
    await mkdir(folder, { recursive: true });
  await mapConcurrently(entries, 16, ([path, text]) => writeFile(join(root, path), text));
}

/**
 * Makes `folder` and its missing parents one at a time. Node's recursive mkdir loops for ever where the
 * system answers ENOENT for a parent that is there (/proc): this fails at once instead.
 */
async function makeFolders(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let at = folder; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  for (const path of missing) await mkdir(path);
}

async function refuseForeignEntries(out: string, target: string, staging: string): Promise<void> {
  const existing = await readdir(target).catch(() => []);
  const written = new Set(await readdir(staging));
  const foreign = existing.filter((name) => !written.has(name));
  if (foreign.length > 0)
    throw new OutputFolderError(
      `--out ${out} holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""}, which no earlier run wrote: nothing was replaced; choose a new folder`,
    );
}

/** The real path of `path`, or of its nearest existing folder with the rest appended (a new --out). */
function realPathOf(path: string): string {
  const absolute = resolve(path);
  let existing = absolute;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    return join(realpathSync(existing), relative(existing, absolute));
  } catch {
    return absolute;
  }
}

function isInside(path: string, folder: string): boolean {
  return path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}
