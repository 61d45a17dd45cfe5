/**
 * `loragate init [DIR]`: a new registry that `loragate check` accepts, warning only about the base still
 * to pin. In a folder that is already a registry it adds what is missing; it never overwrites a file, and
 * it refuses a non-empty folder that is not a registry (that is someone's other project).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { renderConfigTemplate } from "../core/registry/config-template.ts";
import { renderContributing } from "../core/contributing.ts";
import { CONFIG_FILE, REGISTRY_FILE } from "../core/registry/registry-context.ts";
import { counted } from "../core/text.ts";
import { packagePath } from "./package-root.ts";

/** What a registry starts with, by path in it, and where loragate ships each (templates/). */
const TEMPLATE_FILES: Record<string, string> = {
  [REGISTRY_FILE]: "registry/registry.yaml",
  ".github/workflows/loragate.yml": "workflows/loragate.yml",
  ".github/workflows/loragate-site.yml": "workflows/loragate-site.yml",
  ".github/ISSUE_TEMPLATE/adapter-proposal.yml": "ISSUE_TEMPLATE/adapter-proposal.yml",
};

export function registryFiles(): Map<string, string> {
  const template = (path: string) => readFileSync(packagePath("templates", path), "utf8");
  const registry = template(TEMPLATE_FILES[REGISTRY_FILE]!);
  // Made from the code that checks adapters, with the base id the registry.yaml beside it names.
  const baseId = String(parseDocument(registry).getIn(["base", "id"]));
  return new Map([
    [REGISTRY_FILE, registry],
    ["CONTRIBUTING.md", renderContributing({ baseId })],
    ...Object.entries(TEMPLATE_FILES)
      .filter(([path]) => path !== REGISTRY_FILE)
      .map(([path, file]): [string, string] => [path, template(file)]),
    [CONFIG_FILE, renderConfigTemplate()],
  ]);
}

export async function runInit(
  p: { dir: string },
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  const problem = initProblem(p.dir);
  if (problem) {
    io.stderr(`loragate: ${problem}\n`);
    return 2;
  }
  const files = registryFiles();
  const kept = [...files.keys()].filter((path) => existsSync(join(p.dir, path)));
  for (const path of kept) files.delete(path);
  try {
    await writeNewFiles(p.dir, files);
  } catch (error) {
    io.stderr(`loragate: ${(error as Error).message}\n`);
    return 2;
  }
  io.stdout(
    `${counted(files.size, "file")} written to ${p.dir}${kept.length ? `; kept as they were: ${kept.join(", ")}` : ""}\n` +
      [...files.keys()].map((path) => `  ${path}\n`).join("") +
      `next: set base.id and base.training.hub_id in ${join(p.dir, REGISTRY_FILE)}, then\n` +
      `  loragate pin-base --gguf BASE.gguf --hf-base BASE_FOLDER --revision COMMIT ${p.dir}\n` +
      `  loragate check ${p.dir}\n`,
  );
  return 0;
}

/** Why `dir` may not receive a new registry: a file, or a folder with other things in it. */
function initProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) return `${dir} is a file, not a folder`;
  // A fresh clone of a new repository holds .git alone.
  if (readdirSync(dir).every((name) => name === ".git") || existsSync(join(dir, REGISTRY_FILE)))
    return undefined;
  return `${dir} is not empty and holds no ${REGISTRY_FILE}: loragate init starts a registry in a new or empty folder (or adds what an existing registry lacks)`;
}

/**
 * Creates `folder` one level at a time (Node's recursive mkdir loops for ever where the kernel answers
 * ENOENT to every level, as under /proc). Inside the registry (below `root`) a symbolic link on the way
 * is refused: a linked .github would take the files outside the registry.
 */
function makeFolder(root: string, folder: string): void {
  const top = resolve(root);
  const levels: string[] = [];
  for (let at = resolve(folder); ; at = dirname(at)) {
    levels.unshift(at);
    if (at === dirname(at)) break;
  }
  for (const level of levels) {
    const stat = lstatSync(level, { throwIfNoEntry: false });
    const inside = level.length > top.length && level.startsWith(top);
    if (stat?.isSymbolicLink() && inside)
      throw new Error(
        `${level} is a symbolic link: loragate init writes only inside the registry, never through a link`,
      );
    if (stat) {
      if (!statSync(level).isDirectory()) throw new Error(`${level} is a file, not a folder`);
      continue;
    }
    try {
      mkdirSync(level);
    } catch (error) {
      throw new Error(`cannot create the folder ${level} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
}

/** Creates each file, never replacing one (flag wx: a file that appeared meanwhile stops the write). */
async function writeNewFiles(root: string, files: Map<string, string>): Promise<void> {
  for (const path of files.keys()) makeFolder(root, dirname(join(root, path))); // every link refused first
  for (const [path, text] of files) {
    await writeFile(join(root, path), text, { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        error.code === "EEXIST" ? `${join(root, path)} exists: left as it is, stopped` : error.message,
      );
    });
  }
}
