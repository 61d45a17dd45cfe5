/**
 * Edits of a maintainer's YAML that leave every other byte as it was. yaml's Document API finds the
 * nodes (and their source ranges); the new values are spliced into the text there, because printing the
 * whole document again would re-space comments, re-pad flow maps and re-fold long strings.
 */
import { isDeepStrictEqual } from "node:util";
import { isMap, isScalar, type Node, type Pair, parseDocument, Scalar, YAMLMap } from "yaml";

/** A value pin-style edits write: a string, or a map of strings. */
export type YamlEditValue = string | Readonly<Record<string, string>>;

export interface YamlEdit {
  path: readonly string[];
  value: YamlEditValue;
}

/** `text` with each edit's value set at its key path (parents must exist as maps); nothing else changes. */
export function editYamlText(text: string, edits: readonly YamlEdit[]): string {
  const before = parseDocument(text);
  if (before.errors.length > 0)
    throw new Error(`does not parse: ${before.errors[0]!.message.split("\n")[0]}`);
  const out = edits.reduce((current, edit) => setOne(current, edit), text);
  // The splice must mean exactly the edits, or nothing is written.
  const expected = before.toJS() as Record<string, unknown>;
  for (const { path, value } of edits) setIn(expected, path, value);
  if (!isDeepStrictEqual(parseDocument(out).toJS(), expected))
    throw new Error("the edit would change more than the values it sets; edit the file by hand");
  return out;
}

function setOne(text: string, { path, value }: YamlEdit): string {
  const doc = parseDocument(text);
  const parentPath = path.slice(0, -1);
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) throw new Error(`${parentPath.join(".") || "the document"} is not a map`);
  const key = path.at(-1)!;
  const pair = parent.items.find((p) => keyOf(p) === key);
  if (pair) return replaceValue(text, pair, value);
  return insertPair(text, parent, key, value);
}

function replaceValue(text: string, pair: Pair, value: YamlEditValue): string {
  const node = pair.value as Node | null;
  if (!node?.range) throw new Error(`${keyOf(pair)} has no value to replace`);
  if (typeof value === "string") {
    if (!isScalar(node)) throw new Error(`${keyOf(pair)} is not a single value`);
    return splice(text, node.range[0], node.range[1], scalar(value, node.type));
  }
  if (!isMap(node)) throw new Error(`${keyOf(pair)} is not a map`);
  if (node.flow) return splice(text, node.range[0], node.range[1], flowMap(value));
  const end = (node.items.at(-1)?.value as Node | null)?.range?.[1] ?? node.range[1];
  const column = node.range[0] - lineStart(text, node.range[0]);
  return splice(text, node.range[0], end, blockLines(value, column).join("\n").trimStart());
}

function insertPair(text: string, parent: YAMLMap, key: string, value: YamlEditValue): string {
  const last = parent.items.at(-1);
  const lastEnd = (last?.value as Node | null)?.range?.[1] ?? (last?.key as Node | null)?.range?.[1];
  if (parent.flow) {
    const entry = `${scalar(key)}: ${typeof value === "string" ? scalar(value) : flowMap(value)}`;
    if (lastEnd !== undefined) return splice(text, lastEnd, lastEnd, `, ${entry}`);
    const open = text.indexOf("{", parent.range![0]);
    return splice(text, open + 1, open + 1, entry);
  }
  if (!last || lastEnd === undefined) throw new Error(`${key}'s map is empty; add the key by hand`);
  const keyStart = (last.key as Node).range![0];
  const column = keyStart - lineStart(text, keyStart);
  const lines =
    typeof value === "string"
      ? [`${" ".repeat(column)}${scalar(key)}: ${scalar(value)}`]
      : [`${" ".repeat(column)}${scalar(key)}:`, ...blockLines(value, column + 2)];
  // After the line the map's last value ends on (its trailing comment stays on it).
  let at = lastEnd;
  while (at > 0 && /\s/.test(text[at - 1]!)) at--;
  const newline = text.indexOf("\n", at);
  if (newline < 0) return `${text}\n${lines.join("\n")}\n`;
  return splice(text, newline + 1, newline + 1, `${lines.join("\n")}\n`);
}

const keyOf = (pair: Pair) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key));

const splice = (text: string, from: number, to: number, insert: string) =>
  text.slice(0, from) + insert + text.slice(to);

const lineStart = (text: string, at: number) => text.lastIndexOf("\n", at - 1) + 1;

const blockLines = (map: Readonly<Record<string, string>>, column: number) =>
  Object.entries(map).map(([k, v]) => `${" ".repeat(column)}${scalar(k)}: ${scalar(v)}`);

const flowMap = (map: Readonly<Record<string, string>>) =>
  `{${Object.entries(map)
    .map(([k, v]) => `${scalar(k)}: ${scalar(v)}`)
    .join(", ")}}`;

/** A string as YAML reads it back as that string: plain where it can be, else quoted as `style` was. */
function scalar(value: string, style?: Scalar["type"]): string {
  if (style === Scalar.QUOTE_SINGLE && !value.includes("\n")) return `'${value.replaceAll("'", "''")}'`;
  if (style === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  const read = parseDocument(value).contents;
  const plain = /^[A-Za-z0-9._/-]+$/.test(value) && isScalar(read) && read.value === value;
  return plain ? value : JSON.stringify(value);
}

function setIn(target: Record<string, unknown>, path: readonly string[], value: YamlEditValue): void {
  let at = target;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = typeof value === "string" ? value : { ...value };
}
