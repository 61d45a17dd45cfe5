/**
 * The runner's copy of the training base, checked against registry.yaml's `base.training.files` before
 * anything trains on it: every pinned file present as a plain file with its sha256, and no file the
 * trainer would load that is not pinned (a stray weight or tokenizer file would change the model
 * silently). Problems are named by file, one line each, never by what the file holds.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { sha256File } from "./sha256-file.ts";

/** Files transformers reads from a model folder: weights, configs, tokenizers, chat templates. */
const LOADED = /\.(safetensors|json|model|txt|tiktoken|jinja)$/;

/** What is wrong with the folder against its pins; empty when it is the pinned base. */
export async function trainingBaseProblems(
  folder: string,
  pins: Readonly<Record<string, string>>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const [file, pinned] of Object.entries(pins)) {
    const path = join(folder, file);
    let kind: string;
    try {
      const stat = lstatSync(path);
      kind = stat.isFile()
        ? "file"
        : stat.isSymbolicLink()
          ? "link"
          : stat.isDirectory()
            ? "folder"
            : "special file";
    } catch {
      problems.push(`${file} is missing`);
      continue;
    }
    if (kind !== "file") {
      problems.push(`${file} is a ${kind}, not a file`);
      continue;
    }
    const actual = await sha256File(path);
    if (actual !== pinned) problems.push(`${file} has sha256 ${actual}, registry.yaml pins ${pinned}`);
  }
  for (const file of listFiles(folder))
    if (LOADED.test(file) && !(file in pins))
      problems.push(`${file} is not pinned (the trainer would load it)`);
  return problems;
}

/** Paths of the files under `folder`, relative to it, links and hidden entries left out. */
function listFiles(folder: string, under = folder): string[] {
  let entries;
  try {
    entries = readdirSync(under, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (entry.name.startsWith(".")) return [];
    const path = join(under, entry.name);
    if (entry.isDirectory()) return listFiles(folder, path);
    return entry.isFile() ? [relative(folder, path).split("\\").join("/")] : [];
  });
}
