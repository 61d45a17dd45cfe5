import type { z } from "zod";
import {
  chatTurns,
  FORM_NAMES,
  type TrainingForm,
  type TrainingText,
  trainingFormOf,
  trainingTextOf,
  turnsKey,
} from "./conversation.ts";
import { type DuplicateDetector, DuplicateIndex, type IdDetector, IdIndex } from "./duplicate-index.ts";
import { RE2_HINT, safeRegex } from "../evaluation/scoring.ts";
import type { Finding, FindingSink } from "../findings/findings.ts";
import { streamLines } from "./jsonl.ts";
import {
  type BenchmarkItem,
  BenchmarkItemSchema,
  InstructionExampleSchema,
  MessagesExampleSchema,
  ShareGptExampleSchema,
  type TrainingExample,
} from "../schemas/records.ts";
import { closestName, printable } from "../text.ts";
import { issuesToFindings } from "../findings/zod-findings.ts";

export type DatasetKind = "train" | "benchmark";

export interface DatasetStats {
  lines: number;
  bytes: number;
  /** Records that passed the schema. */
  records: number;
  /** Records after removing exact duplicates (what counts against the bar). */
  unique: number;
  /** The file is a Git LFS pointer: nothing in it was counted. */
  lfsPointer: boolean;
}

export interface ValidateDatasetParams<K extends DatasetKind> {
  kind: K;
  /** Registry-relative path, used in findings. */
  file: string;
  chunks: AsyncIterable<Uint8Array>;
  maxLineBytes: number;
  /** Stop counting records past this many (a finding says so). */
  maxRecords?: number;
  sink: FindingSink;
  /** Sees every valid, non-duplicate record in the same pass (e.g. to collect benchmark items). */
  onRecord?: (record: K extends "train" ? TrainingExample : BenchmarkItem, line: number) => void;
  onProgress?: (bytes: number) => void;
  /** False when the chunks start inside the file (a worker's share): no BOM or LFS check there. */
  atFileStart?: boolean;
  /** Where exact duplicates are detected; a fresh DuplicateIndex when absent. */
  duplicates?: DuplicateDetector;
  /** Where benchmark ids used twice are detected; a fresh IdIndex when absent. */
  ids?: IdDetector;
}

const LFS_POINTER = "version https://git-lfs.github.com/spec/";
const TRAINING_SCHEMAS: Record<TrainingForm, z.ZodType> = {
  instruction: InstructionExampleSchema,
  messages: MessagesExampleSchema,
  sharegpt: ShareGptExampleSchema,
};
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
const FORBIDDEN_KEYS = ["__proto__", "constructor", "prototype"];

/** Streams one JSONL dataset once, in constant memory apart from the duplicate index. */
export async function validateDataset<K extends DatasetKind>(
  params: ValidateDatasetParams<K>,
): Promise<DatasetStats> {
  const { kind, file, sink } = params;
  const duplicates = params.duplicates ?? new DuplicateIndex();
  const atFileStart = params.atFileStart ?? true;
  const ids = params.ids ?? new IdIndex();
  const rulesOfShape = new Map<string, string[]>();
  const rulesOfTypes = new Map<string, string[]>(); // at most 7^3 keys
  let records = 0;
  let unique = 0;
  let blankLines: number[] = [];
  let crlfSeen = false;
  let lfsPointer = false;
  let firstForm: { form: TrainingForm; line: number } | undefined;
  const add: Add = (line, column, field, rule, message, hint, severity = "error") =>
    sink.add({ file, line, column, field, rule, severity, message, hint });

  const onLine = (raw: string, line: number) => {
    if (lfsPointer) return;
    let text = raw;
    if (text.endsWith("\r")) {
      text = text.slice(0, -1);
      if (!crlfSeen) {
        crlfSeen = true;
        add(
          line,
          text.length + 1,
          "",
          "crlf-line-endings",
          "line ends with CRLF (Windows line endings)",
          "save the file with LF line endings; loragate reads it either way",
          "warning",
        );
      }
    }
    if (line === 1 && atFileStart && text.startsWith(LFS_POINTER)) {
      lfsPointer = true;
      add(
        1,
        1,
        "",
        "lfs-pointer",
        "this is a Git LFS pointer, not the dataset",
        "commit the JSONL itself (datasets are text and diff well); remove it from .gitattributes LFS patterns",
      );
      return;
    }
    if (text.trim() === "") {
      blankLines.push(line);
      return;
    }
    if (blankLines.length > 0) {
      for (const blank of blankLines)
        add(
          blank,
          1,
          "",
          "blank-line",
          "blank line inside a JSONL file",
          "remove the empty line; every line must hold one JSON object",
          "warning",
        );
      blankLines = [];
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const nul = text.indexOf("\0");
      if (nul >= 0) {
        add(
          line,
          nul + 1,
          "",
          "nul-byte",
          "NUL byte in a text file",
          "remove the NUL byte; is this a binary file?",
        );
        return;
      }
      const position = /position (\d+)/.exec(String((error as Error).message));
      const column = position ? Number(position[1]) + 1 : undefined;
      add(
        line,
        column,
        "",
        "jsonl-syntax",
        `not valid JSON: ${printable((error as Error).message, 120)}`,
        'each line must be one complete JSON object, e.g. {"instruction": "...", "input": "", "output": "..."}',
      );
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      add(
        line,
        1,
        "",
        "jsonl-not-object",
        `line holds ${Array.isArray(value) ? "a JSON array" : `a JSON ${value === null ? "null" : typeof value}`}, expected a JSON object`,
        "write one object per line; a JSON array of records must be split into lines",
      );
      return;
    }
    const forbidden = forbiddenKeyOf(value);
    if (forbidden) {
      add(
        line,
        columnOf(text, forbidden),
        forbidden,
        "forbidden-key",
        `key "${forbidden}" is not allowed`,
        "remove this key",
      );
      return;
    }
    const form = kind === "train" ? trainingFormOf(value) : undefined;
    if (form !== undefined) {
      firstForm ??= { form, line };
      if (form !== firstForm.form) {
        add(
          line,
          1,
          "",
          "mixed-forms",
          `this line is in the ${FORM_NAMES[form]} form, line ${firstForm.line} in the ${FORM_NAMES[firstForm.form]} form`,
          "write every line of a training file in one form (convert the odd ones out)",
        );
        return;
      }
    }
    const known = KNOWN_KEYS[form ?? "benchmark"];
    // for-in over a parsed line's own keys: no array per line, on the path every valid line takes
    for (const key in value)
      if (!known.has(key)) {
        const near = FIELD_ALIASES[form ?? "benchmark"][key] ?? closestName(key, [...known]);
        add(
          line,
          columnOf(text, key),
          key,
          "unknown-key",
          `unknown key "${printable(key, 60)}"${near ? ` (did you mean "${near}"?)` : ""}`,
          `loragate ignores it; the known keys are ${[...known].join(", ")}`,
          "warning",
        );
      }
    const schema = form === undefined ? BenchmarkItemSchema : TRAINING_SCHEMAS[form];
    // A training record's verdict depends only on its fields' JSON types (the schema has no other
    // constraint; test/units.test.ts holds it to that): a combination that failed before and whose
    // rules are listed in full is only counted, without zod, whose failing path costs ~4 µs a line.
    const types = form === "instruction" ? trainingFieldTypes(value as Record<string, unknown>) : undefined;
    const rulesOfThese = types === undefined ? undefined : rulesOfTypes.get(types);
    if (rulesOfThese && sink.countIfFull(file, rulesOfThese)) return;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      // Lines that fail the same way yield the same rules: once those are listed in full, only count.
      const shape = parsed.error.issues.map((i) => `${i.code}:${i.path.join(".")}`).join("|");
      const rules = rulesOfShape.get(shape);
      if (rules && sink.countIfFull(file, rules)) return;
      const findings = issuesToFindings(parsed.error, value, (path) => ({
        file,
        line,
        column: columnOf(text, String(path[0] ?? "")),
      }));
      if (!rules && rulesOfShape.size < 1000)
        rulesOfShape.set(
          shape,
          findings.map((f) => f.rule),
        );
      if (types !== undefined && !rulesOfThese)
        rulesOfTypes.set(
          types,
          findings.map((f) => f.rule),
        );
      for (const f of findings) sink.add(f);
      return;
    }
    if (params.maxRecords !== undefined && records >= params.maxRecords) {
      if (records === params.maxRecords)
        add(
          line,
          1,
          "",
          "too-many-records",
          `more than ${params.maxRecords} records`,
          "split the adapter or ask maintainers to raise limits.max_train_examples",
        );
      records++;
      return;
    }
    records++;
    const record = parsed.data as Record<string, unknown>;
    if (form === "messages" || form === "sharegpt") {
      const chat = chatTurns(form, record[turnsKey(form)] as Record<string, string>[]);
      if ("problem" in chat) {
        const { field, rule, message, hint } = chat.problem;
        add(line, columnOf(text, turnsKey(form)), field, rule, message, hint);
        return;
      }
    } else if (!checkRecord(kind, record, text, line, add)) return;
    // Every record that reaches here goes through both tables, so the parallel path (where the
    // tables live in another thread) reaches the same verdicts.
    let sameId = 0;
    if (kind === "benchmark") {
      const idColumn = columnOf(text, "id"); // a scan of the line: benchmarks only, not every training line
      sameId = ids.addOrGet(line, String(record.id), idColumn);
      if (sameId > 0) sink.add(duplicateIdFinding(file, line, idColumn, String(record.id), sameId));
    }
    const texts =
      form === "instruction"
        ? (record as unknown as TrainingText)
        : form
          ? trainingTextOf(record)!
          : undefined;
    const earlier = texts
      ? duplicates.addOrGet(line, texts.instruction, texts.input, texts.output)
      : duplicates.addOrGet(line, record.instruction as string, record.input as string);
    if (earlier > 0) {
      // A copied item repeats its id too: that error says it already.
      if (sameId === 0) sink.add(duplicateFinding(kind, file, line, earlier));
      return;
    }
    unique++;
    if (sameId === 0) params.onRecord?.(record as never, line);
  };

  const stats = await streamLines(params.chunks, params.maxLineBytes, atFileStart, {
    line: onLine,
    problem: (p) => {
      if (p.kind === "bom")
        add(
          1,
          1,
          "",
          "bom",
          "the file starts with a UTF-8 byte order mark",
          "save as UTF-8 without BOM; Python's json.loads rejects it",
        );
      else if (p.kind === "invalid-utf8")
        add(
          p.line,
          p.column,
          "",
          "invalid-utf8",
          `byte 0x${p.byte.toString(16)} is not valid UTF-8`,
          "re-save the file as UTF-8",
        );
      else
        add(
          p.line,
          1,
          "",
          "line-too-long",
          `line is ${p.bytes} bytes, over the limit of ${params.maxLineBytes}`,
          "shorten the example or ask maintainers to raise limits.max_line_bytes",
        );
    },
    progress: params.onProgress,
  });
  if (stats.bytes === 0)
    add(
      0,
      undefined,
      "",
      "empty-file",
      "the file is empty",
      kind === "train"
        ? "add training examples, one JSON object per line"
        : "add benchmark items, one JSON object per line",
    );
  return {
    lines: stats.lines,
    bytes: stats.bytes,
    records: Math.min(records, params.maxRecords ?? records),
    unique,
    lfsPointer,
  };
}

/** A record that repeats an earlier one: a warning, and it does not count towards the bar. */
export function duplicateFinding(kind: DatasetKind, file: string, line: number, earlier: number): Finding {
  return {
    file,
    line,
    column: 1,
    field: "",
    rule: kind === "train" ? "duplicate-example" : "duplicate-item",
    severity: "warning",
    message: `same ${kind === "train" ? "texts (instruction, input and output, or every turn)" : "instruction and input"} as line ${earlier}`,
    hint: "remove the copy; duplicates do not count towards the minimum",
  };
}

/** A benchmark item whose id an earlier line already uses: an error, as scores are kept per id. */
export function duplicateIdFinding(
  file: string,
  line: number,
  column: number,
  id: string,
  earlier: number,
): Finding {
  return {
    file,
    line,
    column,
    field: "id",
    rule: "duplicate-id",
    severity: "error",
    message: `id "${printable(id, 80)}" is already used on line ${earlier}`,
    hint: "give every benchmark item its own id",
  };
}

/** 1-based column of a key in a JSON line, for pointing at a field; 1 when absent. */
function columnOf(text: string, key: string): number {
  return text.indexOf(`"${key}"`) + 1 || 1;
}

/** The JSON types of a training record's fields, e.g. "string,number,undefined". */
export function trainingFieldTypes(record: Record<string, unknown>): string {
  return `${jsonType(record.instruction)},${jsonType(record.input)},${jsonType(record.output)}`;
}

function jsonType(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

function forbiddenKeyOf(value: object): string | undefined {
  for (const key of FORBIDDEN_KEYS) if (Object.hasOwn(value, key)) return key;
  return undefined;
}

type Add = (
  line: number,
  column: number | undefined,
  field: string,
  rule: string,
  message: string,
  hint: string,
  severity?: Finding["severity"],
) => void;

/** Rules zod cannot say well: empty answers, unsafe patterns. Returns false when the record must not count. */
function checkRecord(
  kind: DatasetKind,
  record: Record<string, unknown>,
  text: string,
  line: number,
  add: Add,
): boolean {
  const answerField = kind === "train" ? "output" : "expected_output";
  let ok = true;
  const type = record.evaluation_type;
  if ((type === "keywords" || type === "code") && record.answer_keywords === undefined) {
    add(
      line,
      columnOf(text, "evaluation_type"),
      "answer_keywords",
      "missing-keywords",
      `evaluation_type ${type} scores by answer_keywords, and the item has none`,
      'add "answer_keywords": ["...", ...], the words a correct answer contains',
    );
    ok = false;
  }
  if (String(record.instruction).trim() === "") {
    add(
      line,
      columnOf(text, "instruction"),
      "instruction",
      "empty-instruction",
      "instruction is empty",
      "write the task the model should perform",
    );
    ok = false;
  }
  if (record[answerField] !== undefined && String(record[answerField]).trim() === "") {
    add(
      line,
      columnOf(text, answerField),
      answerField,
      kind === "train" ? "empty-output" : "empty-expected-output",
      `${answerField} is empty`,
      kind === "train"
        ? "write the answer the adapter should learn, or drop the example"
        : "write the reference answer, or drop the item",
    );
    ok = false;
  }
  if (kind === "benchmark") {
    // A pattern an item scores with must run on RE2 at evaluation: say so now, at its line.
    const config = (record.evaluation_config ?? {}) as Record<string, unknown>;
    const regexPattern =
      record.evaluation_type === "regex" ? (config.pattern ?? record.expected_output) : undefined;
    const patterns = [
      { field: "evaluation_config.extract", key: "extract", pattern: config.extract },
      {
        field: "evaluation_config.pattern",
        key: config.pattern === undefined ? answerField : "pattern",
        pattern: regexPattern,
      },
    ];
    for (const { field, key, pattern } of patterns) {
      if (typeof pattern !== "string") continue;
      try {
        safeRegex(pattern, "");
      } catch (error) {
        add(line, columnOf(text, key), field, "invalid-regex", (error as Error).message, RE2_HINT);
        ok = false;
      }
    }
  }
  return ok;
}
