/** results.json on disk, for the CLI and the GPU action alike. */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { type Results, ResultsSchema } from "../core/schemas/results.ts";
import { EvaluationInputError } from "./gguf-file.ts";

/** Validated against the schema, written to a temporary file, then renamed: never half a file. */
export function writeResultsAtomically(path: string, results: Results): void {
  const checked = ResultsSchema.safeParse(results);
  if (!checked.success)
    throw new EvaluationInputError(
      `results do not match the results.json schema: ${checked.error.issues[0]?.message}`,
    );
  const temporary = `${path}.partial-${process.pid}`;
  try {
    writeFileSync(temporary, `${JSON.stringify(checked.data, null, 2)}\n`);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
}
