import { z } from "zod";
import { EvaluationTypeSchema } from "./common.ts";

/** One line of a training set in the instruction form (Alpaca's). */
export const InstructionExampleSchema = z
  .object({
    instruction: z.string().describe("The task, as the user would phrase it."),
    input: z.string().describe("Extra context for the task; may be empty."),
    output: z.string().describe("The answer the adapter should learn to give."),
  })
  .describe("One training example: instruction, input, output.");

const MessageSchema = z
  .object({
    role: z.string().describe("system, user or assistant."),
    content: z.string().describe("The turn's text."),
  })
  .describe("One turn.");

/** OpenAI's chat form. */
export const MessagesExampleSchema = z
  .object({ messages: z.array(MessageSchema).describe("Optional system turn, then user and assistant in turn.") })
  .describe("One training conversation in OpenAI's messages form.");

/** ShareGPT's form, with its own keys (from/value, human/gpt) or OpenAI's (role/content). */
export const ShareGptExampleSchema = z
  .object({
    conversations: z
      .array(
        z.union(
          [
            z.object({
              from: z.string().describe("system, human (user) or gpt (assistant)."),
              value: z.string().describe("The turn's text."),
            }),
            MessageSchema,
          ],
          { error: 'must be a turn: {"from": ..., "value": ...} or {"role": ..., "content": ...}' },
        ),
      )
      .describe("Optional system turn, then human and gpt in turn."),
  })
  .describe("One training conversation in ShareGPT's form.");

/** One line of a training set: any of the three forms, one form per file; loss on the answers only. */
export const TrainingExampleSchema = z
  .union([InstructionExampleSchema, MessagesExampleSchema, ShareGptExampleSchema])
  .describe("One training example: instruction/input/output, OpenAI messages, or ShareGPT conversations.");

export const DIFFICULTY_LEVELS = ["easy", "medium", "hard"] as const;

/** One line of a benchmark JSONL. */
/** Earlier turns of a benchmark item: [system], then user/assistant pairs, so the question is the next user turn. */
function earlierTurnsInOrder(turns: readonly { role: string }[]): boolean {
  const start = turns[0]?.role === "system" ? 1 : 0;
  return turns.slice(start).every((turn, i) => turn.role === (i % 2 === 0 ? "user" : "assistant")) &&
    (turns.length - start) % 2 === 0;
}

export const BenchmarkItemSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be 1-128 characters of letters, digits, . _ : -")
      .describe("Unique id of the item within its benchmark."),
    instruction: z.string().describe("The task."),
    input: z.string().describe("Extra context; may be empty."),
    expected_output: z
      .string()
      .optional()
      .describe("The reference answer; may be left out when answer_keywords scores the item."),
    answer_keywords: z
      .array(z.string().min(1).max(200))
      .min(1)
      .max(100)
      .optional()
      .describe("Words a correct answer contains, every one (the keywords and code evaluation types)."),
    difficulty: z
      .enum(DIFFICULTY_LEVELS)
      .optional()
      .describe("easy, medium or hard; reported separately on the scorecard when given."),
    evaluation_type: EvaluationTypeSchema.optional().describe("Overrides adapter.yaml evaluation.type."),
    evaluation_config: z.record(z.string(), z.unknown()).optional().describe("Overrides evaluation.config."),
    messages: z
      .array(
        z
          .object({
            role: z.enum(["system", "user", "assistant"]).describe("system, user or assistant."),
            content: z.string().describe("The turn's text."),
          })
          .strict(),
      )
      .max(100)
      .refine(earlierTurnsInOrder, {
        error: "must be an optional system turn, then user and assistant turns in turn, ending with assistant",
      })
      .optional()
      .describe(
        "The conversation before the question: an optional system turn, then user and assistant in turn. The instruction and input are the last user turn, which the model answers.",
      ),
  })
  .refine((item) => item.expected_output !== undefined || item.answer_keywords !== undefined, {
    path: ["expected_output"],
    error: '"expected_output" is missing (or give answer_keywords)',
  })
  .describe("One held-out benchmark item.");

export type TrainingExample = z.infer<typeof TrainingExampleSchema>;
export type BenchmarkItem = z.infer<typeof BenchmarkItemSchema>;
