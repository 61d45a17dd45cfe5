import { z } from "zod";
import {
  DisplayTextSchema,
  EvaluationTypeSchema,
  MaxTokensSchema,
  ExtraSchema,
  NameSchema,
  RelativePathSchema,
  SemverSchema,
} from "./common.ts";

/** Where an adapter's data lives when adapter.yaml does not say (LocoLLM's layout). */
export const DEFAULT_DATA_FILES = { train: "training/dataset.jsonl", benchmark: "eval/benchmark.jsonl" };

/** SPDX identifiers accepted without a second look; anything else must still look like an SPDX id. */
const SPDX_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9.+-]*|LicenseRef-[A-Za-z0-9.-]+)$/;

const LoraSchema = z
  .object({
    r: z.number().int().describe("LoRA rank (LocoLLM: 16).").default(16),
    alpha: z.number().describe("LoRA alpha; the update is scaled by alpha / r (LocoLLM: 32).").default(32),
    dropout: z.number().describe("Dropout on the LoRA path during training.").default(0.05),
    target_modules: z
      .array(z.string().min(1))
      .min(1)
      .describe("Projection modules that get a LoRA pair, e.g. q_proj, v_proj.")
      .default(["q_proj", "k_proj", "v_proj", "o_proj"]),
  })
  .strict()
  .describe("LoRA configuration; values must lie in the registry's limits.");

const TrainingSchema = z
  .object({
    epochs: z.number().int().describe("Passes over the training set (LocoLLM: 3).").default(3),
    learning_rate: z.number().describe("Peak learning rate (LocoLLM: 2e-4).").default(2e-4),
    batch_size: z.number().int().describe("Examples per optimizer step (LocoLLM: 4).").default(4),
    max_seq_length: z
      .number()
      .int()
      .describe("Tokens per example after truncation (LocoLLM: 1024).")
      .default(1024),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .describe("Random seed of the run.")
      .default(42),
  })
  .strict()
  .describe("The training recipe that the GPU runner reproduces exactly.");

export const AdapterManifestSchema = z
  .object({
    name: NameSchema.describe("Adapter name; must equal its folder name under adapters/."),
    domain: NameSchema.describe(
      "Domain the adapter specialises in; the router picks one active adapter per domain.",
    ),
    version: SemverSchema.describe("Semantic version; must be greater than the registry's current version."),
    description: DisplayTextSchema.min(10)
      .max(500)
      .describe("One or two sentences: what the adapter is good at."),
    authors: z.array(DisplayTextSchema.min(1).max(100)).min(1).max(50).describe("People who built the adapter."),
    license: z
      .string()
      .regex(SPDX_PATTERN, "must be an SPDX license identifier such as apache-2.0 or MIT")
      .describe("SPDX license identifier of the adapter and its data."),
    proposal: z.number().int().positive().optional().describe("Number of the approved proposal issue."),
    base: z.string().min(1).describe("Base model id; must equal registry.yaml base.id."),
    lora: LoraSchema.default({
      r: 16,
      alpha: 32,
      dropout: 0.05,
      target_modules: ["q_proj", "k_proj", "v_proj", "o_proj"],
    }),
    training: TrainingSchema.default({
      epochs: 3,
      learning_rate: 2e-4,
      batch_size: 4,
      max_seq_length: 1024,
      seed: 42,
    }),
    data: z
      .object({
        train: RelativePathSchema.default(DEFAULT_DATA_FILES.train).describe(
          "Training set, JSONL of {instruction, input, output}.",
        ),
        benchmark: RelativePathSchema.default(DEFAULT_DATA_FILES.benchmark).describe(
          "Held-out benchmark, JSONL of benchmark items.",
        ),
        sources: z
          .array(z.string().min(1).max(500))
          .min(1)
          .describe("Where the data came from, with licenses."),
        synthetic: z
          .object({
            share: z.number().min(0).max(1).describe("Share of the training set that is synthetic."),
            reviewed_share: z
              .number()
              .min(0)
              .max(1)
              .describe("Share of the synthetic examples a person reviewed."),
          })
          .strict()
          .optional()
          .describe("Synthetic data, when any was generated."),
      })
      .strict()
      .describe("The adapter's data files and their provenance."),
    evaluation: z
      .object({
        type: EvaluationTypeSchema,
        config: z.record(z.string(), z.unknown()).optional().describe("Options of the evaluation type."),
        max_tokens: MaxTokensSchema
          .default(512)
          .describe("Token budget of one answer (LocoLLM's standard: 512)."),
      })
      .strict()
      .describe("Default scoring of the benchmark items; an item may override it."),
    ood_benchmarks: z
      .array(z.string())
      .default([])
      .describe("Other domains' registry benchmarks to check for degradation."),
    router_keywords: z
      .array(z.string().min(1).max(100))
      .max(100)
      .default([])
      .describe("Words that route a query here."),
    extra: ExtraSchema,
  })
  .strict()
  .describe("adapters/<name>/adapter.yaml: the proposal of one LoRA adapter.");

export type AdapterManifest = z.infer<typeof AdapterManifestSchema>;
