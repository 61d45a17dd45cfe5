import { z } from "zod";
import type { MergedAdapter } from "../registry/registry-update.ts";
import { NameSchema, SemverSchema } from "../schemas/common.ts";
import { RegistryAdapterSchema, ScoreSchema } from "../schemas/registry.ts";
import type { Results } from "../schemas/results.ts";
import { EvaluationRecordSchema, evaluationRecord } from "../site/evaluation-record.ts";
import { type BarVerdict, domainScore } from "./bar.ts";

const MergeRecordSchema = z
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
