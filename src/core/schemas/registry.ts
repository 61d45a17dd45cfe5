import { z } from "zod";
import {
  EvaluationTypeSchema,
  MaxTokensSchema,
  ExtraSchema,
  GitShaSchema,
  NameSchema,
  SemverSchema,
  Sha256Schema,
} from "./common.ts";

/** A file inside the training base's folder: relative, forward slashes, no `..` or hidden parts. */
const BaseFileNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/, "must be a path inside the base's folder")
  .max(255);

/** How a base with a thinking mode (Qwen3) is asked: one setting for the trainer and the harness. */
export const ThinkingSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "The chat template's enable_thinking, as the trainer renders every example and the harness asks every item (templates without that variable ignore it). Off by default: greedy answers stay short and comparable.",
      ),
    end: z
      .string()
      .min(1)
      .max(32)
      .default("</think>")
      .describe(
        "The text that ends a think block: answers are scored on what follows its last occurrence (lm-evaluation-harness's think_end_token).",
      ),
  })
  .strict()
  .default({ enabled: false, end: "</think>" })
  .describe("The base's thinking mode, decided by the registry for every adapter.");
export type Thinking = z.infer<typeof ThinkingSchema>;

export const ScoreSchema = z
  .object({
    adapter: z.number().min(0).max(1).describe("Score of base + adapter, 0..1."),
    base: z.number().min(0).max(1).describe("Score of the base model alone, 0..1."),
    p: z.number().min(0).max(1).optional().describe("Paired test p-value, on the adapter's own domain."),
  })
  .strict();

export const RegistryAdapterSchema = z
  .object({
    domain: NameSchema.describe("Domain of the adapter."),
    version: SemverSchema.describe("Version that was merged."),
    active: z.boolean().default(false).describe("Whether the router uses this adapter for its domain."),
    status: z
      .enum(["gated", "imported"])
      .default("gated")
      .describe(
        "gated: merged through loragate's bar; imported: carried over by `loragate import locollm` without passing it. An imported adapter serves as active until a gated version replaces it, and that version must beat its in-domain score.",
      ),
    imported: z
      .object({
        from: z.literal("locollm").describe("The registry it came from."),
        gguf_path: z.string().min(1).max(500).optional().describe("LocoLLM's merged GGUF of this version."),
        training: z
          .record(z.string(), z.unknown())
          .optional()
          .describe("LocoLLM's training block of this version, as its index wrote it."),
      })
      .strict()
      .optional()
      .describe("Where an imported adapter came from (status: imported)."),
    scores: z.record(z.string(), ScoreSchema).default({}).describe("Scores per benchmark domain."),
    provenance: z
      .object({
        pr: z.number().int().positive().describe("Pull request that merged it."),
        head_sha: GitShaSchema.describe("Commit that was evaluated."),
        run: z.number().int().positive().optional().describe("Workflow run id of the evaluation."),
        adapter_sha256: Sha256Schema.optional().describe("sha256 of the LoRA GGUF that was evaluated."),
        harness: z.string().optional().describe("Version of the evaluation harness."),
      })
      .strict()
      .optional()
      .describe("Where the numbers come from."),
  })
  .strict();

export const RegistrySchema = z
  .object({
    base: z
      .object({
        id: z.string().min(1).describe("Identifier adapters name in their `base` field."),
        training: z
          .object({
            // Both name a folder of the runners' model cache, so neither may climb out of it.
            hub_id: z
              .string()
              .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/, "must be owner/name")
              .describe("Hugging Face repository id of the training base."),
            revision: z
              .string()
              .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "must be a commit or tag name")
              .optional()
              .describe("Commit (revision) of that repository, pinned for the year; nothing trains until it is."),
            files: z
              .record(BaseFileNameSchema, Sha256Schema)
              .refine((files) => Object.keys(files).length > 0, "must pin at least one file")
              .optional()
              .describe(
                "sha256 of every file of the base's folder the trainer loads (config, tokenizer files, weights), by path inside that folder; the runner refuses a base whose files differ. Written by `loragate pin-base`.",
              ),
          })
          .strict()
          .describe("The base the trainer fine-tunes."),
        inference: z
          .object({
            file: z
              .string()
              .regex(/^[A-Za-z0-9._-]+\.gguf$/, "must be a .gguf file name")
              .optional()
              .describe("GGUF file name; nothing is evaluated until it is pinned."),
            sha256: Sha256Schema.optional().describe("sha256 of the GGUF file; nothing is evaluated until it is pinned."),
            quantization: z.string().min(1).describe("Quantization, e.g. Q4_K_M."),
          })
          .strict()
          .describe("The base the evaluation runs, as GGUF."),
        thinking: ThinkingSchema,
        extra: ExtraSchema,
      })
      .strict()
      .describe("The base model pinned for the year."),
    benchmarks: z
      .record(
        NameSchema,
        z
          .object({
            path: z.string().min(1).describe("Path of the benchmark JSONL, relative to the registry root."),
            sha256: Sha256Schema.describe("sha256 of that file."),
            evaluation: z
              .object({
                type: EvaluationTypeSchema,
                config: z.record(z.string(), z.unknown()).optional().describe("Options of the evaluation type."),
                max_tokens: MaxTokensSchema
                  .optional()
                  .describe(
                    "Token budget of one answer on this benchmark (absent: .github/loragate.yml evaluation.max_tokens). The registry's, never an adapter's.",
                  ),
              })
              .strict()
              .default({ type: "exact_match" })
              .describe(
                "How this benchmark's answers are scored (an item's evaluation_type overrides it). The registry's rule, never an adapter's: adapter.yaml's evaluation scores only the adapter's own benchmark.",
              ),
          })
          .strict(),
      )
      .default({})
      .describe("Registry-wide held-out benchmarks, one per domain."),
    adapters: z
      .record(NameSchema, RegistryAdapterSchema)
      .default({})
      .describe("Merged adapters, written by the app."),
  })
  .strict()
  .describe("registry.yaml: the pinned base and the adapter index.");

export type Registry = z.infer<typeof RegistrySchema>;

/** The base as the runners need it: every pin present. */
export interface PinnedBase {
  training: { hub_id: string; revision: string; files: Record<string, string> };
  inference: { file: string; sha256: string; quantization: string };
}

/** The pins registry.yaml still lacks (an imported registry starts without them), by field path. */
export function missingPins(registry: Registry): string[] {
  const { training, inference } = registry.base;
  return [
    ...(training.revision ? [] : ["base.training.revision"]),
    ...(training.files ? [] : ["base.training.files"]),
    ...(inference.file ? [] : ["base.inference.file"]),
    ...(inference.sha256 ? [] : ["base.inference.sha256"]),
  ];
}

/** The pinned base, or an error naming what a maintainer must pin first. */
export function pinnedBase(registry: Registry): PinnedBase {
  const missing = missingPins(registry);
  if (missing.length > 0)
    throw new Error(`registry.yaml does not pin ${missing.join(", ")}: a maintainer pins the base before anything is trained or evaluated`);
  return registry.base as PinnedBase;
}
