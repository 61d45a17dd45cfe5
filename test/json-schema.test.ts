import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderJsonSchemas } from "../src/core/schemas/json-schema.ts";

const dir = join(import.meta.dirname, "..", "schemas");

describe("published JSON Schemas", () => {
  const rendered = renderJsonSchemas();

  it.each(Object.keys(rendered))(
    "schemas/%s matches the zod schema (run `npm run schemas` after changing it)",
    (file) => {
      expect(readFileSync(join(dir, file), "utf8")).toBe(rendered[file]);
    },
  );

  it("has no stale files", () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(rendered).sort());
  });

  it("documents every property of adapter.yaml", () => {
    const schema = JSON.parse(rendered["adapter.schema.json"]!);
    const undocumented: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      for (const [key, value] of Object.entries(
        (node.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        if (!value.description) undocumented.push(`${path}${key}`);
        walk(value, `${path}${key}.`);
      }
    };
    walk(schema, "");
    expect(undocumented).toEqual([]);
  });
});
