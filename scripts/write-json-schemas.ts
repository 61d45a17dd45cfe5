// Regenerates schemas/*.json from the zod schemas in src/core/schemas (npm run schemas).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderJsonSchemas } from "../src/core/schemas/json-schema.ts";

const dir = join(import.meta.dirname, "..", "schemas");
mkdirSync(dir, { recursive: true });
for (const [file, text] of Object.entries(renderJsonSchemas())) writeFileSync(join(dir, file), text);
console.log(`wrote ${Object.keys(renderJsonSchemas()).length} JSON Schemas to schemas/`);
