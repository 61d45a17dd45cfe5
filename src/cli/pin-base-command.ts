/**
 * `loragate pin-base`: hashes the base's GGUF and the training base's folder and writes the pins into
 * registry.yaml (every other byte as it was), so no maintainer copies a sha256 by hand.
 */
import { isUtf8 } from "node:buffer";
import { closeSync, constants, lstatSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pinBase } from "../core/registry/pin-base.ts";
import { REGISTRY_FILE } from "../core/registry/registry-context.ts";
import { counted, withoutControls } from "../core/text.ts";
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
    linkProblem(registryFile, REGISTRY_FILE) ??
    inputFileProblem(registryFile, REGISTRY_FILE, MAX_REGISTRY_BYTES) ??
    linkProblem(p.gguf, "--gguf") ??
    inputFileProblem(p.gguf, "--gguf", Number.MAX_SAFE_INTEGER) ??
    (basename(p.gguf).endsWith(".gguf") ? undefined : `--gguf ${p.gguf} is not a .gguf file`) ??
    linkProblem(p.hfBase, "--hf-base") ??
    hfBaseProblem(p.hfBase);
  if (problem) {
    io.stderr(`loragate: ${withoutControls(problem)}\n`);
    return 2;
  }
  // Each step's failure names its own file.
  const step = async <T>(file: string, work: () => T | Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof BaseFolderError || error instanceof GgufReadError || error instanceof PinError)
        throw error;
      throw new PinError(`${file}: ${(error as Error).message}`);
    }
  };
  try {
    const quantization = await step(p.gguf, () => ggufQuantization(p.gguf));
    const [sha256, base] = await Promise.all([
      step(p.gguf, () => sha256File(p.gguf)),
      hashBaseFolder(p.hfBase).catch((error: Error) =>
        step(p.hfBase, () => {
          throw error;
        }),
      ),
    ]);
    await step(registryFile, () => {
      const bytes = readFileSync(registryFile);
      // Bytes that are not UTF-8 are kept as they were: the text is edited byte for byte (latin1), and
      // what is written into it is UTF-8.
      const utf8 = isUtf8(bytes);
      const raw = (s: string) => (utf8 ? s : Buffer.from(s, "utf8").toString("latin1"));
      const original = bytes.toString(utf8 ? "utf8" : "latin1");
      let text = pinBase(original, {
        inference: { file: raw(basename(p.gguf)), sha256, quantization },
        trainingFiles: Object.fromEntries(Object.entries(base.files).map(([f, h]) => [raw(f), h])),
        revision: p.revision,
      });
      // A file of CRLF line ends keeps them in what was added.
      if (/\r\n/.test(original) && !/(^|[^\r])\n/.test(original)) text = text.replace(/\r?\n/g, "\r\n");
      const out = Buffer.from(text, utf8 ? "utf8" : "latin1");
      if (out.length > MAX_REGISTRY_BYTES)
        throw new Error(
          `the pinned registry.yaml would be ${out.length} bytes, over the ${MAX_REGISTRY_BYTES} that check reads: nothing written`,
        );
      // Never through a link that appeared since the check above.
      const fd = openSync(registryFile, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
      try {
        writeFileSync(fd, out);
      } finally {
        closeSync(fd);
      }
    });
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
    io.stderr(`loragate: ${withoutControls((error as Error).message)}\n`);
    return 2;
  }
}

/** A failure of one step, already naming its file. */
class PinError extends Error {}

/** The most registry.yaml that `check` reads. */
const MAX_REGISTRY_BYTES = 1 << 20;

/**
 * A pin is of the file itself: a link could point elsewhere on the runners; and registry.yaml is
 * written where it is, never through a link to a file outside the registry.
 */
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
