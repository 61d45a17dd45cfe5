/**
 * `loragate import locollm`: writes the registry that importLocoLLM reads out of a LocoLLM repository.
 * The output folder is written whole or not at all (a sibling folder, renamed into place); an earlier
 * import's folder is replaced, anything else is never overwritten.
 */
import { existsSync, statSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ImportError, importLocoLLM, type ImportOptions } from "../core/import/locollm.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import { counted } from "../core/text.ts";
import { sha256File } from "../io/sha256-file.ts";
import { inputFileProblem } from "./input-files.ts";
import { OutputFolderError, outputFolderProblem, replaceFolder, writeFiles } from "./output-folder.ts";

const REPORT_FILE = "IMPORT_REPORT.md";

export async function runImport(
  p: { from: string; out: string; baseGguf?: string; baseRevision?: string },
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  const problem =
    (existsSync(p.from) && statSync(p.from).isDirectory()
      ? undefined
      : `LocoLLM folder not found: ${p.from}`) ??
    outputFolderProblem({ out: p.out, marker: REPORT_FILE, what: "import", inputs: [p.from] });
  if (problem) {
    io.stderr(`loragate: ${problem}\n`);
    return 2;
  }
  try {
    const options: ImportOptions = { baseRevision: p.baseRevision };
    if (p.baseGguf) {
      const ggufProblem = inputFileProblem(p.baseGguf, "--base-gguf", Number.MAX_SAFE_INTEGER);
      if (ggufProblem) throw new ImportError(ggufProblem);
      options.baseGguf = { file: basename(p.baseGguf), sha256: await sha256File(p.baseGguf) };
    }
    const source = new FsRegistrySource(p.from);
    const result = await importLocoLLM(source, options);
    await replaceFolder(p.out, async (staging) => {
      await writeFiles(staging, [...result.files, [REPORT_FILE, result.report]]);
      for (const { from, to } of result.copies) {
        await mkdir(dirname(join(staging, to)), { recursive: true });
        await copyFile(source.localPath(from), join(staging, to));
      }
    });
    const adapters = [...result.files.keys()].filter((path) => path.endsWith("/adapter.yaml")).length;
    const written = result.files.size + result.copies.length + 1; // + the report
    io.stdout(
      `imported ${counted(adapters, "adapter")} (${counted(result.copies.length, "training set")} copied) into ${p.out}: ${counted(written, "file")} written\n` +
        `${counted(result.todos.length, "TODO")} for a maintainer, listed in ${join(p.out, REPORT_FILE)}\n` +
        `next: loragate check ${p.out}\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ImportError || error instanceof OutputFolderError)) throw error;
    io.stderr(`loragate: ${error.message}\n`);
    return 2;
  }
}
