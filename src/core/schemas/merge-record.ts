import { z } from "zod";
import { NameSchema, SemverSchema } from "./common.ts";
import { EvaluationRecordSchema } from "./evaluation-record.ts";
import { RegistryAdapterSchema, ScoreSchema } from "./registry.ts";

export const MergeRecordSchema = z
  .object({
    name: NameSchema,
    domain: NameSchema,
    version: SemverSchema,
    scores: z.record(z.string().max(64), ScoreSchema),
    domainScore: z.number().min(0).max(1),
    provenance: RegistryAdapterSchema.shape.provenance.unwrap(),
    evaluation: EvaluationRecordSchema.optional(),
  })
  .strict()
  .describe("What a merge writes to registry.yaml, recorded in the bar check of the evaluated commit.");
