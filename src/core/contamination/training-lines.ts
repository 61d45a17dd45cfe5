import { streamLines } from "../jsonl.ts";
import { TrainingExampleSchema } from "../schemas/records.ts";

export interface TrainingExampleText {
  instruction: string;
  input: string;
  output: string;
}

/** A training line as an example, or undefined when it is not a valid one (validation reports why). */
export function parseTrainingLine(text: string): TrainingExampleText | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = TrainingExampleSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
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
