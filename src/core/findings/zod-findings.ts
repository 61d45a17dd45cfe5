import type { z } from "zod";
import type { Finding } from "./findings.ts";

/** The received type in words a contributor uses: "a number", "a list", "nothing". */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  if (typeof value === "number" && !Number.isFinite(value)) return "a number too large to represent";
  return `a ${typeof value}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

export interface IssueText {
  field: string;
  rule: string;
  message: string;
  hint: string;
}

/** Turns one zod issue into compiler-style words: what was found, what was expected, how to fix it. */
export function describeIssue(issue: z.core.$ZodIssue, root: unknown): IssueText[] {
  const field = issue.path.map(String).join(".");
  const found = valueAt(root, issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        field: field ? `${field}.${key}` : key,
        rule: "unknown-field",
        message: `unknown field "${key}"`,
        hint: "remove it or check its spelling against the schema (schemas/ in loragate)",
      }));
    case "invalid_type":
      if (found === undefined) {
        return [
          {
            field,
            rule: "missing-field",
            message: `"${field}" is missing`,
            hint: `add "${field}" (${issue.expected})`,
          },
        ];
      }
      return [
        {
          field,
          rule: "wrong-type",
          message: `"${field || "document"}" is ${describeValue(found)}, expected ${issue.expected === "object" ? "a mapping" : issue.expected === "array" ? "a list" : `a ${issue.expected}`}`,
          hint:
            issue.expected === "string"
              ? "quote the value"
              : `write "${field || "document"}" as a ${issue.expected}`,
        },
      ];
    case "too_small":
    case "too_big": {
      const limit = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
      const bound =
        issue.code === "too_small"
          ? issue.inclusive === false
            ? "above"
            : "at least"
          : issue.inclusive === false
            ? "below"
            : "at most";
      const unit = issue.origin === "string" ? " characters" : issue.origin === "array" ? " items" : "";
      return [
        {
          field,
          rule: "out-of-range",
          message: `"${field}" is ${Array.isArray(found) ? `${found.length} items` : typeof found === "string" ? `${found.length} characters` : JSON.stringify(found)}, expected ${bound} ${limit}${unit}`,
          hint: `change "${field}" to a value ${bound} ${limit}${unit}`,
        },
      ];
    }
    case "invalid_value":
      return [
        {
          field,
          rule: "invalid-value",
          message: `"${field}" is ${JSON.stringify(found)}, expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
          hint: "use one of the listed values",
        },
      ];
    default:
      // A cross-field rule (e.g. expected_output or answer_keywords) names the field it misses.
      if (issue.code === "custom" && found === undefined)
        return [{ field, rule: "missing-field", message: issue.message, hint: `add "${field}"` }];
      return [
        {
          field,
          rule: "invalid-value",
          message: `"${field}" ${issue.message}`,
          hint: `fix "${field}" as described`,
        },
      ];
  }
}

export function issuesToFindings(
  error: z.ZodError,
  root: unknown,
  at: (path: readonly PropertyKey[]) => Pick<Finding, "file" | "line" | "column">,
): Finding[] {
  return error.issues.flatMap((issue) =>
    describeIssue(issue, root).map((text) => {
      const path = text.rule === "unknown-field" ? [...issue.path, text.field.split(".").pop()!] : issue.path;
      return { ...at(path), ...text, severity: "error" as const };
    }),
  );
}
