import yaml from "js-yaml";
import type { Finding } from "../findings/findings.ts";
import { firstInvalidUtf8, lineColumnAt } from "../text.ts";

/** Largest number of nodes a document may expand to through aliases (a "billion laughs" stops here). */
const MAX_EXPANDED_NODES = 100_000;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export type YamlResult = { ok: true; value: unknown; text: string } | { ok: false; findings: Finding[] };

const finding = (
  file: string,
  line: number,
  column: number | undefined,
  rule: string,
  message: string,
  hint: string,
): Finding => ({
  file,
  line,
  column,
  field: "",
  rule,
  severity: "error",
  message,
  hint,
});

const failed = (f: Finding): YamlResult => ({ ok: false, findings: [f] });

/**
 * Reads one YAML document safely: strict UTF-8, core schema only (no custom types),
 * duplicate keys rejected, alias expansion bounded, prototype keys rejected.
 */
export function parseYaml(file: string, bytes: Uint8Array): YamlResult {
  const fail = (text: string, index: number, rule: string, message: string, hint: string): YamlResult => {
    const at = lineColumnAt(text, index);
    return failed(finding(file, at.line, at.column, rule, message, hint));
  };
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const before = new TextDecoder().decode(bytes.subarray(0, bad));
    return fail(
      before,
      before.length,
      "invalid-utf8",
      `byte 0x${bytes[bad]!.toString(16)} at offset ${bad} is not valid UTF-8`,
      "save the file as UTF-8",
    );
  }
  // TextDecoder drops a leading BOM, which YAML allows.
  const text = new TextDecoder().decode(bytes);
  const nul = text.indexOf("\0");
  if (nul >= 0)
    return fail(
      text,
      nul,
      "nul-byte",
      "NUL byte in a text file",
      "remove the NUL byte; is this a binary file?",
    );
  if (text.trim() === "") {
    return failed(
      finding(
        file,
        0,
        undefined,
        "empty-file",
        "the file is empty",
        "fill it in; see the example in README.md",
      ),
    );
  }
  let value: unknown;
  try {
    value = yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: file, json: false });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const mark = error.mark as { position?: number } | undefined;
      // js-yaml counts a lone CR as a line break, as YAML does; findings count lines as GitHub and
      // editors' line numbers do (by LF), so its line could lie past the file's end: use the offset
      const at = mark?.position === undefined ? undefined : lineColumnAt(text, mark.position);
      const duplicate = /duplicated mapping key/.test(error.reason);
      return failed(
        finding(
          file,
          at?.line ?? 1,
          at?.column,
          duplicate ? "yaml-duplicate-key" : "yaml-syntax",
          duplicate ? "a key appears twice in the same mapping" : `YAML syntax error: ${error.reason}`,
          duplicate ? "keep one of the two keys" : "check indentation, colons and quotes around this place",
        ),
      );
    }
    if (error instanceof RangeError) {
      return failed(
        finding(
          file,
          0,
          undefined,
          "yaml-too-deep",
          "the document is nested too deeply to read",
          "flatten the structure; manifests need only a few levels",
        ),
      );
    }
    throw error;
  }
  const structural = checkStructure(value);
  if (structural)
    return failed(
      finding(file, ...locate(text, structural.path), structural.rule, structural.message, structural.hint),
    );
  return { ok: true, value, text };
}

function locate(text: string, path: readonly (string | number)[]): [number, number | undefined] {
  const at = locateYamlPath(text, path);
  return [at.line, at.column];
}

interface StructuralProblem {
  path: (string | number)[];
  rule: string;
  message: string;
  hint: string;
}

/** Counts nodes as if aliases were expanded, stopping at the cap; finds prototype keys. */
function checkStructure(root: unknown): StructuralProblem | undefined {
  let nodes = 0;
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (++nodes > MAX_EXPANDED_NODES) {
      return {
        path: [],
        rule: "yaml-alias-bomb",
        message: `the document expands to more than ${MAX_EXPANDED_NODES} nodes through aliases`,
        hint: "write the values out; manifests do not need YAML aliases",
      };
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], path: [...path, i] });
    } else if (value !== null && typeof value === "object") {
      for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(key)) {
          return {
            path: [...path, key],
            rule: "forbidden-key",
            message: `key "${key}" is not allowed`,
            hint: "remove this key",
          };
        }
        stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
  return undefined;
}

/**
 * Best-effort line:column of a key path in block-style YAML (the style manifests use).
 * Falls back to the deepest ancestor found; keys in flow mappings are found on their parent's line.
 */
export function locateYamlPath(
  text: string,
  path: readonly (string | number)[],
): { line: number; column?: number } {
  const lines = text.split("\n");
  let from = 0;
  let to = lines.length;
  let parentIndent = -1;
  let found: { line: number; column?: number } = { line: 1 };
  for (const segment of path) {
    let hit = -1;
    let hitIndent = -1;
    let itemCount = -1;
    for (let i = from; i < to; i++) {
      const raw = lines[i]!;
      const indent = raw.length - raw.trimStart().length;
      const body = raw.trimStart();
      if (body === "" || body.startsWith("#")) continue;
      if (indent <= parentIndent && i > from) break;
      if (typeof segment === "number") {
        if (body.startsWith("- ") || body === "-") {
          if (hitIndent === -1) hitIndent = indent;
          if (indent === hitIndent && ++itemCount === segment) {
            hit = i;
            break;
          }
        }
      } else {
        const keyMatch = body.replace(/^- /, "");
        const keyIndent = indent + (body.length - keyMatch.length);
        if (
          keyMatch.startsWith(`${segment}:`) ||
          keyMatch.startsWith(`"${segment}":`) ||
          keyMatch.startsWith(`'${segment}':`)
        ) {
          if (hitIndent === -1 || keyIndent === hitIndent) {
            hit = i;
            hitIndent = keyIndent;
            break;
          }
        }
        if (hitIndent === -1 && !body.startsWith("- ")) hitIndent = keyIndent;
      }
    }
    if (hit < 0) {
      const flow = flowKeyColumn(lines[found.line - 1] ?? "", segment);
      return flow ? { line: found.line, column: flow } : found;
    }
    found = { line: hit + 1, column: hitIndent + 1 };
    parentIndent = hitIndent;
    from = hit + 1;
    let end = from;
    while (end < lines.length) {
      const raw = lines[end]!;
      const body = raw.trimStart();
      if (body !== "" && !body.startsWith("#") && raw.length - body.length <= parentIndent) break;
      end++;
    }
    to = end;
    // A scalar or flow value on the key's own line: children live there.
    if (typeof segment === "number") from = hit;
  }
  return found;
}

function flowKeyColumn(line: string, segment: string | number): number | undefined {
  if (typeof segment === "number") return undefined;
  const match = new RegExp(`[{,\\s]${segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*:`).exec(line);
  return match ? match.index + 2 : undefined;
}
