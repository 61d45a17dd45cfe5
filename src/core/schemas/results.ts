import { z } from "zod";
import { GitShaSchema, NameSchema, SemverSchema, Sha256Schema } from "./common.ts";

/**
 * results.json, written by the GPU action and read by the app. Versioned: a reader refuses
 * a schema_version it does not know rather than guessing. Sketched by the foundation issue;
 * the evaluation issue fills in what the harness measures.
 */
const BenchmarkResultSchema = z
  .object({
    domain: z.string().describe("Domain of the benchmark, or `own` for the adapter's eval/benchmark.jsonl."),
    kind: z.enum(["own", "domain", "ood", "hidden"]).describe("Role of the benchmark in the bar."),
    sha256: Sha256Schema.describe("sha256 of the benchmark file that was evaluated."),
    items: z.number().int().min(0).describe("Number of items evaluated."),
    base_score: z.number().min(0).max(1).describe("Mean score of the base model."),
    adapter_score: z.number().min(0).max(1).describe("Mean score of base + adapter."),
    p_value: z.number().min(0).max(1).optional().describe("McNemar exact p-value, adapter vs base."),
    outcomes: z
      .array(
        z
          .object({
            id: z.string().describe("Benchmark item id."),
            base: z.number().min(0).max(1).describe("Base model's score on the item."),
            adapter: z.number().min(0).max(1).describe("Adapter's score on the item."),
            difficulty: z
              .enum(["easy", "medium", "hard"])
              .optional()
              .describe("Difficulty (not for hidden)."),
          })
          .strict(),
      )
      .describe("Per-item paired outcomes; for hidden benchmarks ids and scores only."),
  })
  .strict();

export const ResultsSchema = z
  .object({
    schema_version: z.literal(1).describe("Version of this format."),
    adapter: NameSchema.describe("Adapter name."),
    version: SemverSchema.describe("Adapter version."),
    head_sha: GitShaSchema.describe("PR commit whose data was trained on."),
    base: z
      .object({ id: z.string(), gguf_sha256: Sha256Schema })
      .strict()
      .describe("The pinned base the numbers were measured on."),
    adapter_sha256: Sha256Schema.describe("sha256 of the LoRA GGUF evaluated."),
    harness: z.string().describe("Version of the evaluation harness."),
    inference: z
      .object({
        temperature: z.literal(0),
        top_p: z.literal(1),
        repeat_penalty: z.literal(1),
        seed: z.number().int(),
        max_tokens: z.number().int().positive(),
        re2: z.boolean(),
      })
      .strict()
      .describe("Decoding settings, enforced greedy."),
    hardware: z.string().max(200).describe("Where it ran, e.g. the GPU name."),
    benchmarks: z.array(BenchmarkResultSchema).describe("One entry per evaluated benchmark."),
    training: z
      .object({
        wall_seconds: z.number().min(0),
        loss: z.array(z.object({ step: z.number().int().min(0), loss: z.number() }).strict()),
      })
      .strict()
      .optional()
      .describe("Training summary, when the run trained the adapter."),
  })
  .strict()
  .describe("results.json of one evaluation run.");

export type Results = z.infer<typeof ResultsSchema>;
