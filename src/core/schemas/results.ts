import { z } from "zod";
import { DIFFICULTY_LEVELS } from "./records.ts";
import { EvaluationTypeSchema, GitShaSchema, NameSchema, SemverSchema, Sha256Schema } from "./common.ts";

/**
 * results.json, written by the GPU action and read by the app and `loragate scorecard`.
 * It carries per-item outcomes only: every score, difference and p-value is computed from them
 * by the core, so a results file cannot claim numbers its outcomes do not support. Versioned: a
 * reader refuses a schema_version it does not know rather than guessing.
 */
/** Most trainings one evaluation may hold (config bar.seeds). */
export const MAX_SEEDS = 10;

const OutcomeSchema = z
  .object({
    id: z.string().min(1).max(128).describe("Benchmark item id."),
    base: z.number().min(0).max(1).describe("Base model's score on the item."),
    adapter: z.number().min(0).max(1).describe("Base + adapter's score on the item."),
    difficulty: z.enum(DIFFICULTY_LEVELS).optional().describe("Item difficulty (never for hidden benchmarks)."),
    adapter_by_seed: z
      .array(z.number().min(0).max(1))
      .min(2)
      .max(MAX_SEEDS)
      .optional()
      .describe("With `seeds`: the adapter's score on the item for each seed, in that order (the first is `adapter`)."),
  })
  .strict();

const GenerationTallySchema = z
  .object({
    max_tokens: z.number().int().min(0).describe("Answers cut at max_tokens."),
    empty: z.number().int().min(0).describe("Empty answers."),
  })
  .strict();

const BenchmarkResultSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}$/, "must be 1-64 letters, digits, spaces or . _ : -")
      .describe("Domain of the benchmark, `own` for the adapter's eval set, or a label such as `hidden 1`."),
    kind: z.enum(["own", "domain", "ood", "hidden"]).describe("Role of the benchmark in the bar."),
    sha256: Sha256Schema.describe("sha256 of the benchmark file that was evaluated."),
    evaluation_type: EvaluationTypeSchema.describe("How answers were scored."),
    max_tokens: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Token budget of one answer on this benchmark (the adapter's on its own, the registry's on the others)."),
    outcomes: z.array(OutcomeSchema).max(1_000_000).describe("Per-item paired outcomes; hidden: ids and scores only."),
    generation: z
      .object({ base: GenerationTallySchema, adapter: GenerationTallySchema })
      .strict()
      .optional()
      .describe("Answers that ran into the token budget or were empty, per model."),
    problems: z
      .array(z.string().max(300))
      .max(20)
      .optional()
      .describe("Items that could not be scored as written (e.g. a refused regex), by id."),
  })
  .strict();

export const ResultsSchema = z
  .object({
    schema_version: z.literal(1).describe("Version of this format."),
    adapter: NameSchema.describe("Adapter name."),
    domain: NameSchema.describe("The adapter's domain (adapter.yaml domain)."),
    version: SemverSchema.describe("Adapter version."),
    head_sha: GitShaSchema.describe("PR commit whose data was trained on."),
    base: z
      .object({
        id: z.string().min(1).describe("registry.yaml base.id."),
        gguf_sha256: Sha256Schema.describe("sha256 of the base GGUF evaluated."),
      })
      .strict()
      .describe("The pinned base the numbers were measured on."),
    adapter_sha256: Sha256Schema.describe("sha256 of the LoRA GGUF evaluated."),
    harness: z.string().min(1).max(50).describe("Version of the evaluation harness."),
    inference: z
      .object({
        temperature: z.literal(0).describe("Greedy decoding."),
        top_p: z.literal(1).describe("No nucleus sampling."),
        repeat_penalty: z.literal(1).describe("No repetition penalty."),
        seed: z.number().int().describe("Seed of the context."),
        max_tokens: z
          .number()
          .int()
          .positive()
          .describe("Token budget per answer on the own benchmark (each benchmark's is in its max_tokens)."),
        re2: z.boolean().describe("Whether the question was repeated (RE2 re-reading)."),
        parallel: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("Sequences decoded together (absent: 1). Above 1, llama.cpp's batched kernels may change answers."),
      })
      .strict()
      .describe("Decoding settings, enforced greedy."),
    hardware: z.string().max(200).describe("Where it ran, e.g. the GPU name."),
    benchmarks: z.array(BenchmarkResultSchema).min(1).max(100).describe("One entry per evaluated benchmark."),
    seeds: z
      .array(
        z
          .object({
            seed: z.number().int().min(0).describe("Training seed."),
            adapter_sha256: Sha256Schema.describe("sha256 of the LoRA GGUF trained with it."),
          })
          .strict(),
      )
      .min(2)
      .max(MAX_SEEDS)
      .optional()
      .describe(
        "When the bar retrains with several seeds: each training, in order; the first is the adapter that is published (adapter_sha256) and every outcome's adapter_by_seed follows this order.",
      ),
    training: z
      .object({
        wall_seconds: z.number().min(0).describe("Training time."),
        loss: z
          .array(z.object({ step: z.number().int().min(0), loss: z.number() }).strict())
          .max(100_000)
          .describe("Training loss by optimizer step."),
      })
      .strict()
      .optional()
      .describe("Training summary, when the run trained the adapter."),
  })
  .strict()
  .describe("results.json of one evaluation run.");

export type Results = z.infer<typeof ResultsSchema>;
export type BenchmarkResult = z.infer<typeof BenchmarkResultSchema>;
