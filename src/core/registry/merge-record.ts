import type { MergedAdapter } from "./registry-update.ts";
import type { Results } from "../schemas/results.ts";
import { type EvaluationRecord, MAX_LOSS_POINTS } from "../schemas/evaluation-record.ts";
import { MergeRecordSchema } from "../schemas/merge-record.ts";
import { DIFFICULTY_LEVELS } from "../schemas/records.ts";
import { type BarVerdict, domainScore } from "../evaluation/bar.ts";
import { mean } from "../evaluation/statistics.ts";

/**
 * What the registry needs on merge, kept in the bar check of the evaluated commit (GitHub holds the
 * state; the app stays stateless): a hidden line in the check's text that only loragate writes.
 */
const MARK = "loragate:merge-record";

/** GitHub keeps 65,535 characters of a check run's text; the record must fit with room to spare. */
const MAX_EMBEDDED_CHARS = 60_000;

export function mergeRecord(results: Results, verdict: BarVerdict, pr: number, run: number): MergedAdapter {
  const scores: MergedAdapter["scores"] = {};
  for (const { benchmark, summary } of verdict.summaries) {
    if (benchmark.kind === "hidden") continue; // hidden suites stay scores-only in the checks, not in the registry
    const inDomain = benchmark.kind === "own" || benchmark.kind === "domain";
    scores[benchmark.name] = {
      adapter: summary.adapter,
      base: summary.base,
      ...(inDomain ? { p: summary.p } : {}),
    };
  }
  return {
    name: results.adapter,
    domain: results.domain,
    version: results.version,
    scores,
    domainScore: domainScore(verdict),
    provenance: {
      pr,
      head_sha: results.head_sha,
      run,
      adapter_sha256: results.adapter_sha256,
      harness: results.harness,
    },
    evaluation: evaluationRecord(results, verdict, { pr, run }),
  };
}

/** The record as the bar check's hidden line; without its page record when that would not fit. */
export function embedMergeRecord(record: MergedAdapter): string {
  const line = (r: MergedAdapter) => `<!-- ${MARK} ${Buffer.from(JSON.stringify(r)).toString("base64")} -->`;
  const full = line(record);
  return full.length <= MAX_EMBEDDED_CHARS ? full : line({ ...record, evaluation: undefined });
}

/** The record in a bar check's text, or why there is none that can be read. */
export function readMergeRecord(text: string | null | undefined): MergedAdapter | { problem: string } {
  const match = new RegExp(`<!-- ${MARK} ([A-Za-z0-9+/=]+) -->`).exec(text ?? "");
  if (!match) return { problem: "holds no merge record" };
  try {
    const parsed = MergeRecordSchema.safeParse(JSON.parse(Buffer.from(match[1]!, "base64").toString("utf8")));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    return { problem: `holds a merge record that is invalid at ${issue.path.join(".")}: ${issue.message}` };
  } catch {
    return { problem: "holds a merge record that cannot be read" };
  }
}

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
