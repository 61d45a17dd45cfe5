import { createReadStream } from "node:fs";
import { NOT_REGULAR, openRegularFile } from "./open-regular-file.ts";
import { validateDataset } from "../core/dataset/validate-dataset.ts";
import { FindingSink, sortFindings } from "../core/findings/findings.ts";
import type { BenchmarkItem } from "../core/schemas/records.ts";

/** How many of a file's problems are named (by line and rule); more are said to be there. */
const NAMED_PROBLEMS = 5;

/**
 * The items of a benchmark file outside any registry (a maintainers' hidden benchmark, `loragate eval
 * --benchmark`), all of them or none: a line that is not a valid item stops the run, where reading the
 * valid ones alone would leave that item out unseen (out of the gate, for a hidden one). The refusal
 * names `label`, the lines and the rules, never the file's text or path: a hidden one's refusal reaches
 * the runner's job log and page.
 */
export async function readBenchmarkFile(path: string, label: string): Promise<BenchmarkItem[]> {
  const sink = new FindingSink();
  const items: BenchmarkItem[] = [];
  try {
    await validateDataset({
      kind: "benchmark",
      file: label,
      chunks: createReadStream("", { fd: await openRegularFile(path, true) }),
      maxLineBytes: 1 << 20,
      sink,
      onRecord: (item) => items.push(item),
    });
  } catch (error) {
    // Node's message names the path; the code says enough (ENOENT, EACCES, EISDIR).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === NOT_REGULAR)
      throw new Error(`${label} is not a regular file (a FIFO, socket or device is never read)`);
    throw new Error(`${label} could not be read (${code ?? "read error"})`);
  }
  const errors = sortFindings(sink.findings.filter((f) => f.severity === "error"));
  if (errors.length === 0) return items;
  const named = errors
    .slice(0, NAMED_PROBLEMS)
    .map((f) => (f.line > 0 ? `line ${f.line} [${f.rule}]` : `[${f.rule}]`));
  const more = errors.length > NAMED_PROBLEMS ? ", and more" : "";
  throw new Error(
    `${label} is not a valid benchmark: ${named.join(", ")}${more}; fix the file at those lines (their text is not shown here)`,
  );
}
