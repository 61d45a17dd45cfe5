/**
 * evaluations/<adapter>/<version>.json: what the registry keeps of one merged evaluation, for its page.
 * Written by the app's merge commit from the evaluation the bar judged: per public benchmark the paired
 * summary (computed once, here, so the site never re-runs a bootstrap), per difficulty, the training
 * loss and the provenance. Hidden benchmarks are left out entirely.
 */
import { z } from "zod";
import type { BarVerdict } from "../evaluation/bar.ts";
import { mean } from "../evaluation/statistics.ts";
import { DIFFICULTY_LEVELS } from "../schemas/records.ts";
import {
  EvaluationTypeSchema,
  GitShaSchema,
  NameSchema,
  SemverSchema,
  Sha256Schema,
} from "../schemas/common.ts";
import { type Results, ResultsSchema } from "../schemas/results.ts";

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

/** The record of an evaluation that passed the bar, from its results and the bar's own summaries. */
export function evaluationRecord(
  results: Results,
  verdict: BarVerdict,
  provenance: { pr: number; run?: number },
): EvaluationRecord {
  return {
    schema_version: 1,
    adapter: results.adapter,
    domain: results.domain,
    version: results.version,
    provenance: {
      ...provenance,
      head_sha: results.head_sha,
      adapter_sha256: results.adapter_sha256,
      base_id: results.base.id,
      base_gguf_sha256: results.base.gguf_sha256,
      harness: results.harness,
      hardware: results.hardware,
    },
    benchmarks: verdict.summaries.flatMap(({ benchmark, summary }) =>
      benchmark.kind === "hidden"
        ? []
        : [
            {
              name: benchmark.name,
              kind: benchmark.kind,
              evaluation_type: benchmark.evaluation_type,
              items: summary.items,
              base: summary.base,
              adapter: summary.adapter,
              delta: summary.delta,
              p: summary.p,
              test: summary.test,
              // within ±1 by construction; a verdict from elsewhere is held to what the record allows
              ci95: [Math.max(-1, summary.ci95[0]), Math.min(1, summary.ci95[1])],
              ...byDifficulty(benchmark.outcomes),
            },
          ],
    ),
    ...(results.training
      ? {
          training: {
            wall_seconds: results.training.wall_seconds,
            steps: results.training.loss.length,
            loss: thinned(results.training.loss),
          },
        }
      : {}),
  };
}

type ByDifficulty = EvaluationRecord["benchmarks"][number]["by_difficulty"];

function byDifficulty(outcomes: Results["benchmarks"][number]["outcomes"]): { by_difficulty?: ByDifficulty } {
  const levels = DIFFICULTY_LEVELS.map(
    (level) => [level, outcomes.filter((o) => o.difficulty === level)] as const,
  ).filter(([, rated]) => rated.length > 0);
  if (levels.length === 0) return {};
  return {
    by_difficulty: Object.fromEntries(
      levels.map(([level, rated]) => [
        level,
        {
          items: rated.length,
          base: mean(rated.map((o) => o.base)),
          adapter: mean(rated.map((o) => o.adapter)),
        },
      ]),
    ) as ByDifficulty,
  };
}

/** At most MAX_LOSS_POINTS evenly spaced steps, the first and last always among them. */
function thinned<T>(points: readonly T[]): T[] {
  if (points.length <= MAX_LOSS_POINTS) return [...points];
  const stride = (points.length - 1) / (MAX_LOSS_POINTS - 1);
  return Array.from({ length: MAX_LOSS_POINTS }, (_, i) => points[Math.round(i * stride)]!);
}
