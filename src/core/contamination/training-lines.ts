import { streamLines } from "../jsonl.ts";
import type { TrainingExample } from "../schemas/records.ts";

export type TrainingExampleText = Pick<TrainingExample, "instruction" | "input" | "output">;

/**
 * The three texts of a training line, or undefined when it has not got them. Validation (with the
 * zod schema) reports what is wrong with a line; this pass only reads, in workers that start fast
 * without loading zod.
 */
export function parseTrainingLine(text: string): TrainingExampleText | undefined {
  let value: Partial<Record<keyof TrainingExampleText, unknown>>;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const { instruction, input, output } = value;
  return typeof instruction === "string" && typeof input === "string" && typeof output === "string"
    ? { instruction, input, output }
    : undefined;
}

/**
 * Calls `onExample` for every valid example of a JSONL stream, with its line; returns the number
 * of lines read (a worker's share of a file is renumbered by it).
 */
export async function forEachTrainingExample(
  chunks: AsyncIterable<Uint8Array>,
  params: { maxLineBytes: number; atFileStart: boolean },
  onExample: (line: number, example: TrainingExampleText) => void,
): Promise<number> {
  const { lines } = await streamLines(chunks, params.maxLineBytes, params.atFileStart, {
    line: (text, line) => {
      const example = parseTrainingLine(text);
      if (example) onExample(line, example);
    },
    problem: () => {},
  });
  return lines;
}
