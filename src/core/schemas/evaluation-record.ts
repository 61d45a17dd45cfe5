/**
 * evaluations/<adapter>/<version>.json: what the registry keeps of one merged evaluation, for its page.
 * Written by the app's merge commit from the evaluation the bar judged (registry/merge-record.ts): per
 * public benchmark the paired summary (computed once, there, so the site never re-runs a bootstrap), per
 * difficulty, the training loss and the provenance. Hidden benchmarks are left out entirely.
 */
import { z } from "zod";
import { DIFFICULTY_LEVELS } from "./records.ts";
import {
  EvaluationTypeSchema,
  GitShaSchema,
  NameSchema,
  SemverSchema,
  Sha256Schema,
} from "./common.ts";
import { ResultsSchema } from "./results.ts";

/** Loss points kept per record: enough for the curve's shape, small enough for a check run's text. */
export const MAX_LOSS_POINTS = 500;

/** Fields the record carries over from results.json keep results.json's own rules. */
const RESULTS = ResultsSchema.shape;
// A record is read from a folder a PR could reach: every number is held to what it can be, so the page
// never shows Infinity for an interval of ±1e308 or draws a loss at NaN coordinates.
const Score = z.number().min(0).max(1);
/** A difference of two scores. */
const Difference = z.number().min(-1).max(1);
/** More items than any benchmark holds (limits.max_train_examples is 1,000,000 by default). */
const Items = z.number().int().min(0).max(10_000_000);
const DifficultySchema = z.object({ items: Items, base: Score, adapter: Score }).strict();

export const EvaluationRecordSchema = z
  .object({
    schema_version: z.literal(1).describe("Version of this format."),
    adapter: NameSchema.describe("Adapter name."),
    domain: NameSchema.describe("The adapter's domain."),
    version: SemverSchema.describe("The merged version."),
    provenance: z
      .object({
        pr: z.number().int().positive().describe("Pull request that merged it."),
        head_sha: GitShaSchema.describe("Commit that was trained and evaluated."),
        run: z.number().int().positive().optional().describe("Workflow run of the evaluation."),
        adapter_sha256: Sha256Schema.describe("sha256 of the LoRA GGUF evaluated."),
        base_id: z.string().min(1).max(200).describe("registry.yaml base.id."),
        base_gguf_sha256: Sha256Schema.describe("sha256 of the base GGUF."),
        harness: RESULTS.harness,
        hardware: RESULTS.hardware,
      })
      .strict(),
    benchmarks: z
      .array(
        z
          .object({
            name: RESULTS.benchmarks.element.shape.name,
            kind: z.enum(["own", "domain", "ood"]),
            evaluation_type: EvaluationTypeSchema,
            items: Items,
            base: Score,
            adapter: Score,
            delta: Difference,
            p: z.number().min(0).max(1),
            test: z
              .enum(["McNemar exact", "sign test"])
              .optional()
              .describe("The paired test p comes from (absent in older records: read from evaluation_type)."),
            ci95: z
              .tuple([Difference, Difference])
              .refine(([low, high]) => low <= high, "the interval's low end is above its high end"),
            by_difficulty: z.partialRecord(z.enum(DIFFICULTY_LEVELS), DifficultySchema).optional(),
          })
          .strict(),
      )
      .max(100)
      .describe("Public benchmarks: own, domain and out-of-domain."),
    training: z
      .object({
        wall_seconds: z.number().min(0).max(1e8), // three years
        steps: z
          .number()
          .int()
          .min(0)
          .max(1e9)
          .optional()
          .describe("Logged steps in all; `loss` is an even sample of them."),
        loss: z
          .array(
            z
              .object({
                step: z.number().int().min(0).max(1e9),
                loss: z.number().min(0).max(1e6), // cross-entropy: ~12 for a model that knows nothing
              })
              .strict(),
          )
          .max(MAX_LOSS_POINTS),
      })
      .strict()
      .optional(),
  })
  .strict()
  .describe("evaluations/<adapter>/<version>.json: one merged evaluation, as the registry's page shows it.");

export type EvaluationRecord = z.infer<typeof EvaluationRecordSchema>;
