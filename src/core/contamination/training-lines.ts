import { type TrainingText, trainingTextOf } from "../dataset/conversation.ts";
import { streamLines } from "../dataset/jsonl.ts";

/**
 * The texts of a training line of any form, or undefined when it has not got them. Validation (with
 * the zod schema) reports what is wrong with a line; this pass only reads, in workers that start
 * fast without loading zod.
 */
function parseTrainingLine(text: string): TrainingText | undefined {
  try {
    return trainingTextOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Calls `onExample` for every valid example of a JSONL stream, with its line; returns the number
 * of lines read (a worker's share of a file is renumbered by it).
 */
export async function forEachTrainingExample(
  chunks: AsyncIterable<Uint8Array>,
  params: { maxLineBytes: number; atFileStart: boolean },
  onExample: (line: number, example: TrainingText) => void,
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
