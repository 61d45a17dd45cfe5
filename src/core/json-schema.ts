import { z } from "zod";
import { PUBLISHED_SCHEMAS } from "./schemas/index.ts";

/** JSON Schema text for editors (input side: defaults make fields optional), stable for diffs. */
export function renderJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
    out[file] = `${JSON.stringify({ ...json, $id: `https://loragate.dev/schemas/${file}` }, null, 2)}\n`;
  }
  return out;
}
