import { type Results, ResultsSchema } from "../schemas/results.ts";
import { describeIssue } from "../findings/zod-findings.ts";

/** Largest results.json accepted: per-item outcomes of a few benchmarks fit in far less. */
export const MAX_RESULTS_BYTES = 64 << 20;

export type LoadedResults = { ok: true; results: Results } | { ok: false; errors: string[] };

/** Parses and validates a results.json; every problem is named with its JSON path. */
export function parseResults(bytes: Uint8Array): LoadedResults {
  if (bytes.length > MAX_RESULTS_BYTES)
    return {
      ok: false,
      errors: [`results.json is ${bytes.length} bytes, over the ${MAX_RESULTS_BYTES}-byte limit`],
    };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    return { ok: false, errors: [`results.json is not valid UTF-8 JSON: ${(error as Error).message}`] };
  }
  const version = (value as { schema_version?: unknown } | null)?.schema_version;
  if (version !== 1)
    return {
      ok: false,
      errors: [`results.json schema_version is ${JSON.stringify(version)}; this loragate reads version 1`],
    };
  const parsed = ResultsSchema.safeParse(value);
  if (parsed.success) return { ok: true, results: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues
      .slice(0, 20)
      .flatMap((issue) => describeIssue(issue, value).map((t) => `${t.field || "results"}: ${t.message}`)),
  };
}
