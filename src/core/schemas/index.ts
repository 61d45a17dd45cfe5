import type { z } from "zod";
import { AdapterManifestSchema } from "./adapter.ts";
import { ConfigSchema } from "./config.ts";
import { BenchmarkItemSchema, TrainingExampleSchema } from "./records.ts";
import { RegistrySchema } from "./registry.ts";
import { ResultsSchema } from "./results.ts";
import { TrainingRecipeSchema } from "../training-recipe.ts";

/** Every published schema, by the file name its JSON Schema is written to under schemas/. */
export const PUBLISHED_SCHEMAS: Record<string, z.ZodType> = {
  "adapter.schema.json": AdapterManifestSchema,
  "registry.schema.json": RegistrySchema,
  "loragate-config.schema.json": ConfigSchema,
  "training-example.schema.json": TrainingExampleSchema,
  "benchmark-item.schema.json": BenchmarkItemSchema,
  "results.schema.json": ResultsSchema,
  "training-recipe.schema.json": TrainingRecipeSchema,
};
