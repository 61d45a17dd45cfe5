import type { z } from "zod";
import type { Finding } from "../findings/findings.ts";
import { locateYamlPath, parseYaml } from "./yaml.ts";
import { issuesToFindings } from "../findings/zod-findings.ts";

export type Loaded<T> = { ok: true; value: T; text: string } | { ok: false; findings: Finding[] };

/** Parses YAML bytes and validates them against a zod schema, with every finding located in the file. */
export function loadDocument<S extends z.ZodType>(
  file: string,
  bytes: Uint8Array,
  schema: S,
): Loaded<z.infer<S>> {
  const parsed = parseYaml(file, bytes);
  if (!parsed.ok) return parsed;
  const result = schema.safeParse(parsed.value);
  if (result.success) return { ok: true, value: result.data, text: parsed.text };
  return {
    ok: false,
    findings: issuesToFindings(result.error, parsed.value, (path) => ({
      file,
      ...locateYamlPath(parsed.text, path as (string | number)[]),
    })),
  };
}
