/**
 * `loragate site`: the registry's static site (leaderboards, adapter cards, the adapter x benchmark
 * matrix) written into a folder, whole or not at all; an earlier site there is replaced, nothing else is.
 */
import { join } from "node:path";
import { routingMatrixHtml } from "../core/router/routing-html.ts";
import { renderSite } from "../core/site/render-site.ts";
import { readSiteInputs } from "../core/site/site-inputs.ts";
import { counted } from "../core/text.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import { OutputFolderError, outputFolderProblem, replaceFolder, writeFiles } from "./output-folder.ts";

/** Marks a folder loragate wrote, so a second build may replace it. */
const MARKER = ".loragate-site";

export async function runSite(
  p: { root: string; out: string },
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  const problem = outputFolderProblem({ out: p.out, marker: MARKER, what: "site", inputs: [p.root] });
  if (problem) {
    io.stderr(`loragate: ${problem}\n`);
    return 2;
  }
  const source = new FsRegistrySource(p.root);
  const inputs = await readSiteInputs(source);
  if ("problem" in inputs) {
    io.stderr(`loragate: ${inputs.problem}\n`);
    return 2;
  }
  for (const skipped of inputs.skipped) io.stderr(`loragate: skipped ${skipped}\n`);
  const files = renderSite(inputs.registry, inputs.adapters, await routingMatrixHtml(source));
  try {
    await writeSite(p.out, files);
  } catch (error) {
    if (!(error instanceof OutputFolderError)) throw error;
    io.stderr(`loragate: ${error.message}\n`);
    return 2;
  }
  io.stdout(
    `site of ${counted(inputs.adapters.length, "adapter")} written to ${p.out}\nopen ${join(p.out, "index.html")}\n`,
  );
  return 0;
}

/** Writes the site into `out`, whole or not at all (see replaceFolder). */
export async function writeSite(out: string, files: Map<string, string>): Promise<void> {
  await replaceFolder(out, (staging) => writeFiles(staging, [...files, [MARKER, ""]]));
}
