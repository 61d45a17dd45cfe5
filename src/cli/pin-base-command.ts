/**
 * `loragate pin-base`: hashes the base's GGUF and the training base's folder and writes the pins into
 * registry.yaml (every other byte as it was), so no maintainer copies a sha256 by hand.
 */
import { lstatSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pinBase } from "../core/registry/pin-base.ts";
import { REGISTRY_FILE } from "../core/registry/registry-context.ts";
import { counted } from "../core/text.ts";
import { BaseFolderError, hashBaseFolder } from "../io/base-folder.ts";
import { GgufReadError, ggufQuantization } from "../io/gguf-quantization.ts";
import { sha256File } from "../io/sha256-file.ts";
import { inputFileProblem } from "./input-files.ts";

export async function runPinBase(
  p: { registry: string; gguf: string; hfBase: string; revision?: string },
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  const registryFile = join(p.registry, REGISTRY_FILE);
  const problem =
    inputFileProblem(registryFile, REGISTRY_FILE, 1 << 20) ??
    linkProblem(p.gguf, "--gguf") ??
    inputFileProblem(p.gguf, "--gguf", Number.MAX_SAFE_INTEGER) ??
    (basename(p.gguf).endsWith(".gguf") ? undefined : `--gguf ${p.gguf} is not a .gguf file`) ??
    linkProblem(p.hfBase, "--hf-base") ??
    hfBaseProblem(p.hfBase);
  if (problem) {
    io.stderr(`loragate: ${problem}\n`);
    return 2;
  }
  try {
    const quantization = await ggufQuantization(p.gguf);
    const [sha256, base] = await Promise.all([sha256File(p.gguf), hashBaseFolder(p.hfBase)]);
    const text = pinBase(readFileSync(registryFile, "utf8"), {
      inference: { file: basename(p.gguf), sha256, quantization },
      trainingFiles: base.files,
      revision: p.revision,
    });
    writeFileSync(registryFile, text);
    io.stdout(
      `pinned in ${registryFile}:\n` +
        `  base.inference: ${basename(p.gguf)} ${sha256}, quantization ${quantization} (read from the file)\n` +
        `  base.training.files: ${counted(Object.keys(base.files).length, "file")} of ${p.hfBase}` +
        (base.hidden.length ? ` (left out, never loaded: ${base.hidden.join(", ")})` : "") +
        "\n" +
        (p.revision ? `  base.training.revision: ${p.revision}\n` : "") +
        `next: loragate check ${p.registry}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof BaseFolderError || error instanceof GgufReadError) {
      io.stderr(`loragate: ${error.message}\n`);
      return 2;
    }
    io.stderr(`loragate: ${registryFile}: ${(error as Error).message}\n`);
    return 2;
  }
}

/** A pin is of the file itself: a link could point elsewhere on the runners. */
function linkProblem(path: string, what: string): string | undefined {
  return lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()
    ? `${what} ${path} is a symbolic link: give the file or folder itself`
    : undefined;
}

function hfBaseProblem(path: string): string | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return `--hf-base folder not found: ${path}`;
  return stat.isDirectory() ? undefined : `--hf-base ${path} is a file, not the base's folder`;
}
