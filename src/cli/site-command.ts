/**
 * `loragate site`: the registry's static site (leaderboards, adapter cards, the adapter x benchmark
 * matrix) written into a folder, whole or not at all; an earlier site there is replaced, nothing else is.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mapConcurrently } from "../core/concurrency.ts";
import { routingMatrixHtml } from "../core/router/routing-html.ts";
import { renderAdapterCard, renderIndexPage } from "../core/site/render-site.ts";
import { readSiteAdapter, readSiteRegistry } from "../core/site/site-inputs.ts";
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
  const read = await readSiteRegistry(source);
  if ("problem" in read) {
    io.stderr(`loragate: ${read.problem}\n`);
    return 2;
  }
  const { registry } = read;
  const adapters = Object.entries(registry.adapters);
  const skipped: string[] = [];
  try {
    await replaceFolder(p.out, async (staging) => {
      await mkdir(join(staging, "adapters"));
      // Each card is written once rendered, and its records' loss curves let go: a site that held them
      // all (1,000 adapters x 3 versions x 500 steps) spent a third of its build collecting garbage.
      const forIndex = await mapConcurrently(adapters, 16, async ([name, entry]) => {
        const adapter = await readSiteAdapter(source, name, entry, skipped).catch((error: Error) => {
          throw new Error(error.message, { cause: error }); // a reading error, not --out's (no code)
        });
        const card = renderAdapterCard(registry, adapter);
        await writeFile(join(staging, card.file), card.html);
        return card.forIndex;
      });
      for (const line of skipped) io.stderr(`loragate: skipped ${line}\n`);
      const index = renderIndexPage(registry, forIndex, await routingMatrixHtml(source));
      await writeFiles(staging, [
        ["index.html", index],
        [MARKER, ""],
      ]);
    });
  } catch (error) {
    if (!(error instanceof OutputFolderError)) throw error;
    io.stderr(`loragate: ${error.message}\n`);
    return 2;
  }
  io.stdout(
    `site of ${counted(adapters.length, "adapter")} written to ${p.out}\nopen ${join(p.out, "index.html")}\n`,
  );
  return 0;
}
