import { z } from "zod";
import { EvaluationTypeSchema } from "./common.ts";

/** One line of training/dataset.jsonl (Alpaca-style, as LocoLLM uses). */
export const TrainingExampleSchema = z
  .object({
    instruction: z.string().describe("The task, as the user would phrase it."),
    input: z.string().describe("Extra context for the task; may be empty."),
    output: z.string().describe("The answer the adapter should learn to give."),
  })
  .describe("One training example.");

export const DIFFICULTIES = ["easy", "medium", "hard"] as const;

/** One line of a benchmark JSONL. */
export const BenchmarkItemSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be 1-128 characters of letters, digits, . _ : -")
      .describe("Unique id of the item within its benchmark."),
    instruction: z.string().describe("The task."),
    input: z.string().describe("Extra context; may be empty."),
    expected_output: z.string().describe("The reference answer."),
    difficulty: z.enum(DIFFICULTIES).describe("easy, medium or hard; reported separately on the scorecard."),
    evaluation_type: EvaluationTypeSchema.optional().describe("Overrides adapter.yaml evaluation.type."),
    evaluation_config: z.record(z.string(), z.unknown()).optional().describe("Overrides evaluation.config."),
  })
  .describe("One held-out benchmark item.");

export type TrainingExample = z.infer<typeof TrainingExampleSchema>;
export type BenchmarkItem = z.infer<typeof BenchmarkItemSchema>;
