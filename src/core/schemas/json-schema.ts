import { z } from "zod";
import { AdapterManifestSchema } from "./adapter.ts";
import { ConfigSchema } from "./config.ts";
import { BenchmarkItemSchema, TrainingExampleSchema } from "./records.ts";
import { RegistrySchema } from "./registry.ts";
import { ResultsSchema } from "./results.ts";
import { TrainingRecipeSchema } from "./training-recipe.ts";
import { EvaluationRecordSchema } from "./evaluation-record.ts";

/** Every published schema, by the file name its JSON Schema is written to under schemas/. */
const PUBLISHED_SCHEMAS: Record<string, z.ZodType> = {
  "adapter.schema.json": AdapterManifestSchema,
  "registry.schema.json": RegistrySchema,
  "loragate-config.schema.json": ConfigSchema,
  "training-example.schema.json": TrainingExampleSchema,
  "benchmark-item.schema.json": BenchmarkItemSchema,
  "results.schema.json": ResultsSchema,
  "training-recipe.schema.json": TrainingRecipeSchema,
  "evaluation-record.schema.json": EvaluationRecordSchema,
};

/** JSON Schema text for editors (input side: defaults make fields optional), stable for diffs. */
export function renderJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
    out[file] = `${JSON.stringify({ ...json, $id: `https://loragate.dev/schemas/${file}` }, null, 2)}\n`;
  }
  return out;
}
