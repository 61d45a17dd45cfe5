/**
 * The rules one JSONL line is held to, each a small function that returns the drafts of its findings
 * (the reader adds the file): reading (JSON, an object, no prototype keys), the record's form and
 * keys, and what zod cannot say (empty answers, chat turns, keywords, unsafe patterns).
 */
import { RE2_HINT, safeRegex } from "../evaluation/scoring.ts";
import type { FindingDraft } from "../findings/findings.ts";
import type { StreamProblem } from "./jsonl.ts";
import {
  BenchmarkItemSchema,
  InstructionExampleSchema,
  MessagesExampleSchema,
  ShareGptExampleSchema,
} from "../schemas/records.ts";
import { closestName, printable } from "../text.ts";
import { chatTurns, type FirstForm, FORM_NAMES, type TrainingForm, turnsKey } from "./conversation.ts";

export type DatasetKind = "train" | "benchmark";
/** A finding of a line, without the file (the reader knows it). */
export type LineDraft = Omit<FindingDraft, "file">;

export const LFS_POINTER = "version https://git-lfs.github.com/spec/";
const FORBIDDEN_KEYS = ["__proto__", "constructor", "prototype"];

/** Keys a record of each form may hold; any other is reported (a warning) with the closest of these. */
const KNOWN_KEYS: Record<TrainingForm | "benchmark", ReadonlySet<string>> = {
  instruction: new Set(Object.keys(InstructionExampleSchema.shape)),
  messages: new Set(Object.keys(MessagesExampleSchema.shape)),
  sharegpt: new Set(Object.keys(ShareGptExampleSchema.shape)),
  benchmark: new Set(Object.keys(BenchmarkItemSchema.shape)),
};
/** Names other tools give these fields (LocoLLM's eval_dataset.jsonl among them). */
const FIELD_ALIASES: Record<TrainingForm | "benchmark", Record<string, string>> = {
  instruction: {
    question: "instruction",
    prompt: "instruction",
    answer: "output",
    response: "output",
    completion: "output",
    context: "input",
  },
  messages: {},
  sharegpt: {},
  benchmark: {
    question: "instruction",
    prompt: "instruction",
    answer: "expected_output",
    context: "input",
    keywords: "answer_keywords",
  },
};

/** What a rule returns when a line passes it: one shared empty list, no allocation per line. */
const NONE: readonly LineDraft[] = Object.freeze([]);

/** The keys of the last line asked about, with their columns: the rules of one line ask in turn. */
let scanned: { text: string; columns: Map<string, number> } | undefined;

/**
 * 1-based column of a key in a JSON line (the first place it is a key, at any depth), for pointing at
 * a field; 1 when absent. Where the key's first spelling is not it, the line's keys are found in one
 * pass and kept for the next question about the same line. A line asks about at most ~25 keys (20
 * unknown ones, the schema's fields), so a line of 90,000 keys costs a few times its length.
 */
export function columnOf(text: string, key: string): number {
  // the common case, at native speed: the key's first spelling is the key (a line asks a few times)
  const at = text.indexOf(`"${key}"`);
  if (at >= 0 && text.charCodeAt(at - 1) !== 92 && isKeyEnd(text, at + key.length + 2)) return at + 1;
  if (scanned?.text !== text) scanned = { text, columns: keyColumns(text) };
  return scanned.columns.get(key) ?? 1;
}

/** Whether a colon follows `from` (past white space): the string before it was a key. */
function isKeyEnd(text: string, from: number): boolean {
  let next = from;
  while (next < text.length && text.charCodeAt(next) <= 32) next++;
  return text.charCodeAt(next) === 58; // :
}

/** Every key of a JSON text (already parsed, so well formed) and the column of its opening quote. */
function keyColumns(text: string): Map<string, number> {
  const columns = new Map<string, number>();
  // outside strings JSON has no quote: from one string's end, the next quote opens the next string
  for (let open = text.indexOf('"'); open >= 0;) {
    const close = closingQuote(text, open);
    if (isKeyEnd(text, close + 1)) {
      const raw = text.slice(open + 1, close);
      const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
      if (!columns.has(key)) columns.set(key, open + 1);
    }
    open = text.indexOf('"', close + 1);
  }
  return columns;
}

/** The quote that ends the string opened at `open`: the next one not escaped by an odd run of backslashes. */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 92) backslashes++;
    if (backslashes % 2 === 0 || at < 0) return at < 0 ? text.length : at;
    at = text.indexOf('"', at + 1);
  }
}

export const crlfFinding = (line: number, column: number): LineDraft => ({
  line,
  column,
  field: "",
  rule: "crlf-line-endings",
  severity: "warning",
  message: "line ends with CRLF (Windows line endings)",
  hint: "save the file with LF line endings; loragate reads it either way",
});

export const lfsPointerFinding: LineDraft = {
  line: 1,
  column: 1,
  field: "",
  rule: "lfs-pointer",
  message: "this is a Git LFS pointer, not the dataset",
  hint: "commit the JSONL itself (datasets are text and diff well); remove it from .gitattributes LFS patterns",
};

export const blankLineFinding = (line: number): LineDraft => ({
  line,
  column: 1,
  field: "",
  rule: "blank-line",
  severity: "warning",
  message: "blank line inside a JSONL file",
  hint: "remove the empty line; every line must hold one JSON object",
});

/** Why JSON.parse refused the line: a NUL byte (a binary file?) or the parser's own words. */
export function jsonSyntaxFinding(text: string, line: number, error: unknown): LineDraft {
  const nul = text.indexOf("\0");
  if (nul >= 0)
    return {
      line,
      column: nul + 1,
      field: "",
      rule: "nul-byte",
      message: "NUL byte in a text file",
      hint: "remove the NUL byte; is this a binary file?",
    };
  const position = /position (\d+)/.exec(String((error as Error).message));
  return {
    line,
    column: position ? Number(position[1]) + 1 : undefined,
    field: "",
    rule: "jsonl-syntax",
    message: `not valid JSON: ${printable((error as Error).message, 120)}`,
    hint: 'each line must be one complete JSON object, e.g. {"instruction": "...", "input": "", "output": "..."}',
  };
}

/** A parsed line that is not a JSON object, or one with a prototype key; undefined for a good one. */
export function notAnObjectFinding(value: unknown, text: string, line: number): LineDraft | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return {
      line,
      column: 1,
      field: "",
      rule: "jsonl-not-object",
      message: `line holds ${Array.isArray(value) ? "a JSON array" : `a JSON ${value === null ? "null" : typeof value}`}, expected a JSON object`,
      hint: "write one object per line; a JSON array of records must be split into lines",
    };
  for (const key of FORBIDDEN_KEYS)
    if (Object.hasOwn(value, key))
      return {
        line,
        column: columnOf(text, key),
        field: key,
        rule: "forbidden-key",
        message: `key "${key}" is not allowed`,
        hint: "remove this key",
      };
  return undefined;
}

export const mixedFormFinding = (form: TrainingForm, first: FirstForm, line: number): LineDraft => ({
  line,
  column: 1,
  field: "",
  rule: "mixed-forms",
  message: `this line is in the ${FORM_NAMES[form]} form, line ${first.line} in the ${FORM_NAMES[first.form]} form`,
  hint: "write every line of a training file in one form (convert the odd ones out)",
});

/** How many keys of a record its form does not know (what unknownKeyFindings would report, uncounted). */
export function unknownKeyCount(value: object, form: TrainingForm | undefined): number {
  const known = KNOWN_KEYS[form ?? "benchmark"];
  let count = 0;
  for (const key in value) if (!known.has(key)) count++;
  return count;
}

/** The rule a line that JSON.parse refused breaks (jsonSyntaxFinding's), without building the finding. */
export const jsonSyntaxRule = (text: string): string => (text.includes("\0") ? "nul-byte" : "jsonl-syntax");

/** Unknown keys of one line named in findings; the rest are only counted (a line can hold 90,000). */
const UNKNOWN_KEYS_NAMED = 20;

/**
 * Keys the record's form does not know: warnings naming the key probably meant, for the first 20, and
 * how many more there are (counted, not built: each finding costs a search for the name meant).
 */
export function unknownKeyFindings(
  value: object,
  form: TrainingForm | undefined,
  text: string,
  line: number,
): { drafts: readonly LineDraft[]; more: number } {
  const known = KNOWN_KEYS[form ?? "benchmark"];
  let found: LineDraft[] | undefined;
  let more = 0;
  // for-in over a parsed line's own keys: no array per line, on the path every valid line takes
  for (const key in value)
    if (!known.has(key)) {
      if ((found?.length ?? 0) >= UNKNOWN_KEYS_NAMED) {
        more++;
        continue;
      }
      const near = FIELD_ALIASES[form ?? "benchmark"][key] ?? closestName(key, [...known]);
      (found ??= []).push({
        line,
        column: columnOf(text, key),
        field: key,
        rule: "unknown-key",
        severity: "warning",
        message: `unknown key "${printable(key, 60)}"${near ? ` (did you mean "${near}"?)` : ""}`,
        hint: `loragate ignores it; the known keys are ${[...known].join(", ")}`,
      });
    }
  return found ? { drafts: found, more } : NO_UNKNOWN_KEYS;
}

const NO_UNKNOWN_KEYS = Object.freeze({ drafts: NONE, more: 0 });

/** The JSON types of a training record's fields, e.g. "string,number,undefined". */
export function trainingFieldTypes(record: Record<string, unknown>): string {
  return `${jsonType(record.instruction)},${jsonType(record.input)},${jsonType(record.output)}`;
}

function jsonType(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

/** A chat record's turns: unknown roles, order, empty turns (chatTurns says which). */
export function chatFinding(
  form: "messages" | "sharegpt",
  record: Record<string, unknown>,
  text: string,
  line: number,
): LineDraft | undefined {
  const chat = chatTurns(form, record[turnsKey(form)] as Record<string, string>[]);
  if (!("problem" in chat)) return undefined;
  return { line, column: columnOf(text, turnsKey(form)), ...chat.problem };
}

/**
 * How a benchmark scores an item that names no rule of its own (adapter.yaml's `evaluation` for the
 * adapter's benchmark, registry.yaml's for a registry one): an item is vetted by the rule it will be
 * scored with, wherever that rule comes from.
 */
export interface BenchmarkScoring {
  type: string;
  /** The benchmark's rule sets a regex `pattern`, so an item's expected_output is not one. */
  pattern: boolean;
}

/** Rules zod cannot say well, for instruction records and benchmark items: empty texts, keywords, unsafe patterns. */
export function recordFindings(
  kind: DatasetKind,
  record: Record<string, unknown>,
  text: string,
  line: number,
  scoring?: BenchmarkScoring,
): readonly LineDraft[] {
  const answerField = kind === "train" ? "output" : "expected_output";
  let found: LineDraft[] | undefined; // most lines pass: no list for them
  const type = record.evaluation_type ?? scoring?.type;
  if ((type === "keywords" || type === "code") && record.answer_keywords === undefined)
    (found ??= []).push({
      line,
      column: record.evaluation_type === undefined ? 1 : columnOf(text, "evaluation_type"),
      field: "answer_keywords",
      rule: "missing-keywords",
      message: `evaluation_type ${type} scores by answer_keywords, and the item has none`,
      hint: 'add "answer_keywords": ["...", ...], the words a correct answer contains',
    });
  if (String(record.instruction).trim() === "")
    (found ??= []).push({
      line,
      column: columnOf(text, "instruction"),
      field: "instruction",
      rule: "empty-instruction",
      message: "instruction is empty",
      hint: "write the task the model should perform",
    });
  if (record[answerField] !== undefined && String(record[answerField]).trim() === "")
    (found ??= []).push({
      line,
      column: columnOf(text, answerField),
      field: answerField,
      rule: kind === "train" ? "empty-output" : "empty-expected-output",
      message: `${answerField} is empty`,
      hint:
        kind === "train"
          ? "write the answer the adapter should learn, or drop the example"
          : "write the reference answer, or drop the item",
    });
  if (kind === "benchmark") (found ??= []).push(...patternFindings(record, text, line, scoring));
  return found ?? NONE;
}

/** A pattern an item scores with must run on RE2 at evaluation: say so now, at its line. */
function patternFindings(
  record: Record<string, unknown>,
  text: string,
  line: number,
  scoring: BenchmarkScoring | undefined,
): LineDraft[] {
  const config = (record.evaluation_config ?? {}) as Record<string, unknown>;
  const type = record.evaluation_type ?? scoring?.type;
  // Scoring takes the item's pattern, else the benchmark's (vetted with adapter.yaml), else expected_output.
  const itemPattern = config.pattern ?? (scoring?.pattern ? undefined : record.expected_output);
  const regexPattern = type === "regex" ? itemPattern : undefined;
  const patterns = [
    { field: "evaluation_config.extract", key: "extract", pattern: config.extract },
    {
      field: "evaluation_config.pattern",
      key: config.pattern === undefined ? "expected_output" : "pattern",
      pattern: regexPattern,
    },
  ];
  const found: LineDraft[] = [];
  for (const { field, key, pattern } of patterns) {
    if (typeof pattern !== "string") continue;
    try {
      safeRegex(pattern, "");
    } catch (error) {
      found.push({
        line,
        column: columnOf(text, key),
        field,
        rule: "invalid-regex",
        message: (error as Error).message,
        hint: RE2_HINT,
      });
    }
  }
  return found;
}

export const tooManyRecordsFinding = (line: number, max: number): LineDraft => ({
  line,
  column: 1,
  field: "",
  rule: "too-many-records",
  message: `more than ${max} records`,
  hint: "split the adapter or ask maintainers to raise limits.max_train_examples",
});

/** What the line reader found below the JSON: a BOM, bytes that are not UTF-8, a line over the limit. */
export function streamProblemFinding(p: StreamProblem, maxLineBytes: number): LineDraft {
  if (p.kind === "bom")
    return {
      line: 1,
      column: 1,
      field: "",
      rule: "bom",
      message: "the file starts with a UTF-8 byte order mark",
      hint: "save as UTF-8 without BOM; Python's json.loads rejects it",
    };
  if (p.kind === "invalid-utf8")
    return {
      line: p.line,
      column: p.column,
      field: "",
      rule: "invalid-utf8",
      message: `byte 0x${p.byte.toString(16)} is not valid UTF-8`,
      hint: "re-save the file as UTF-8",
    };
  return {
    line: p.line,
    column: 1,
    field: "",
    rule: "line-too-long",
    message: `line is ${p.bytes} bytes, over the limit of ${maxLineBytes}`,
    hint: "shorten the example or ask maintainers to raise limits.max_line_bytes",
  };
}

export const emptyFileFinding = (kind: DatasetKind): LineDraft => ({
  line: 0,
  field: "",
  rule: "empty-file",
  message: "the file is empty",
  hint:
    kind === "train"
      ? "add training examples, one JSON object per line"
      : "add benchmark items, one JSON object per line",
});

/** A record that repeats an earlier one: a warning, and it does not count towards the bar. */
export const duplicateFinding = (kind: DatasetKind, line: number, earlier: number): LineDraft => ({
  line,
  column: 1,
  field: "",
  rule: kind === "train" ? "duplicate-example" : "duplicate-item",
  severity: "warning",
  message: `same ${kind === "train" ? "texts (instruction, input and output, or every turn)" : "instruction and input"} as line ${earlier}`,
  hint: "remove the copy; duplicates do not count towards the minimum",
});

/** A benchmark item whose id an earlier line already uses: an error, as scores are kept per id. */
export const duplicateIdFinding = (line: number, column: number, id: string, earlier: number): LineDraft => ({
  line,
  column,
  field: "id",
  rule: "duplicate-id",
  message: `id "${printable(id, 80)}" is already used on line ${earlier}`,
  hint: "give every benchmark item its own id",
});
