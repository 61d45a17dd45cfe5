/**
 * `.github/loragate.yml` as `loragate init` writes it: every key of the config schema, with its default
 * and its description, commented out. Made from the schema itself, so a new key or default appears here
 * without anyone keeping a second copy in step.
 */
import { z } from "zod";
import { ConfigSchema, DEFAULT_CONFIG } from "../schemas/config.ts";

interface JsonSchemaNode {
  description?: string;
  type?: string;
  properties?: Record<string, JsonSchemaNode>;
}

const HEADER = `# loragate settings for this registry. Every key is optional: each is shown with its default,
# commented out. To change one, uncomment it and the keys above it (YAML nests by indentation).
# Schema for editors: https://loragate.dev/schemas/loragate-config.schema.json
`;

export function renderConfigTemplate(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;
  return `${HEADER}${lines(schema, DEFAULT_CONFIG as unknown as Record<string, unknown>, 0).join("\n")}\n`;
}

function lines(schema: JsonSchemaNode, defaults: Record<string, unknown>, depth: number): string[] {
  const out: string[] = [];
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const indent = "  ".repeat(depth);
    if (depth === 0) out.push("#");
    if (property.description) out.push(`# ${indent}# ${property.description}`);
    const value = defaults[key];
    if (property.type === "object" && property.properties) {
      out.push(`# ${indent}${key}:`);
      out.push(...lines(property, value as Record<string, unknown>, depth + 1));
    } else if (value === undefined) out.push(`# ${indent}# ${key}: unset unless you set it`);
    else out.push(`# ${indent}${key}: ${flow(value)}`);
  }
  return out;
}

/** A default as YAML flow text (JSON is YAML; a space after each comma reads better). */
const flow = (value: unknown): string =>
  Array.isArray(value) ? `[${value.map(flow).join(", ")}]` : JSON.stringify(value);
