import type { z } from "zod";
import { type FindingSink, toFinding } from "../findings/findings.ts";
import { issuesToFindings } from "../findings/zod-findings.ts";
import {
  type BenchmarkItem,
  BenchmarkItemSchema,
  InstructionExampleSchema,
  MessagesExampleSchema,
  ShareGptExampleSchema,
  type TrainingExample,
} from "../schemas/records.ts";
import {
  type FirstForm,
  type TrainingForm,
  type TrainingText,
  trainingFormOf,
  trainingTextOf,
} from "./conversation.ts";
import { type DuplicateDetector, DuplicateIndex, type IdDetector, IdIndex } from "./duplicate-index.ts";
import { streamLines } from "./jsonl.ts";
import {
  blankLineFinding,
  chatFinding,
  columnOf,
  crlfFinding,
  type DatasetKind,
  duplicateFinding,
  duplicateIdFinding,
  emptyFileFinding,
  jsonSyntaxFinding,
  jsonSyntaxRule,
  LFS_POINTER,
  type BenchmarkScoring,
  type LineDraft,
  lfsPointerFinding,
  mixedFormFinding,
  notAnObjectFinding,
  recordFindings,
  streamProblemFinding,
  tooManyRecordsFinding,
  trainingFieldTypes,
  unknownKeyCount,
  unknownKeyFindings,
} from "./line-rules.ts";

export type { DatasetKind } from "./line-rules.ts";

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
  /** A worker's share: the form of the file's first record, which this share's lines must share. */
  firstForm?: FirstForm;
  /** A benchmark's own scoring rule, by which items that name none are vetted. */
  scoring?: BenchmarkScoring;
}

/**
 * JSON.parse of a line without a stack trace on its SyntaxError (the message keeps the position): the
 * capture was half of what a line that is not JSON cost, and no one reads that stack. What is left of
 * an invalid line's extra cost is V8 making the SyntaxError itself: a throwing JSON.parse costs 3.5-10×
 * a valid line's parse with no stack at all (issue 35 item 15, on a shared 2-core VM), and JSON.parse has
 * no form that does not throw; parity would take a JSON validator of our own, slower on valid lines.
 */
function parseLine(text: string): unknown {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return JSON.parse(text);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const TRAINING_SCHEMAS: Record<TrainingForm, z.ZodType> = {
  instruction: InstructionExampleSchema,
  messages: MessagesExampleSchema,
  sharegpt: ShareGptExampleSchema,
};

/**
 * Streams one JSONL dataset once, in constant memory apart from the duplicate index: each line goes
 * through the rules of line-rules.ts, then the schema of its form, then the duplicate tables.
 */
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
  let firstForm = params.firstForm;
  const add = (draft: LineDraft) => sink.add(toFinding({ file, ...draft }));

  const onLine = (raw: string, line: number) => {
    if (lfsPointer) return;
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (text !== raw && !crlfSeen) {
      crlfSeen = true;
      add(crlfFinding(line, raw.length));
    }
    if (line === 1 && atFileStart && text.startsWith(LFS_POINTER)) {
      lfsPointer = true;
      return add(lfsPointerFinding);
    }
    if (text.trim() === "") return void blankLines.push(line);
    if (blankLines.length > 0) {
      for (const blank of blankLines) add(blankLineFinding(blank));
      blankLines = [];
    }
    let value: object;
    try {
      value = parseLine(text) as object;
    } catch (error) {
      // a file of bad lines: once the rule is listed in full, each further one is only counted
      if (sink.countIfFull(file, [jsonSyntaxRule(text)])) return;
      return add(jsonSyntaxFinding(text, line, error));
    }
    const notAnObject = notAnObjectFinding(value, text, line);
    if (notAnObject) return add(notAnObject);
    const form = kind === "train" ? trainingFormOf(value) : undefined;
    if (form !== undefined) {
      firstForm ??= { form, line };
      if (form !== firstForm.form) return add(mixedFormFinding(form, firstForm, line));
    }
    const unknownKeys = unknownKeyCount(value, form);
    if (unknownKeys > 0 && !sink.countIfFull(file, ["unknown-key"], unknownKeys)) {
      const unknown = unknownKeyFindings(value, form, text, line);
      unknown.drafts.forEach(add);
      if (unknown.more > 0) sink.countUnlisted(file, "unknown-key", unknown.more);
    }
    const schema = form === undefined ? BenchmarkItemSchema : TRAINING_SCHEMAS[form];
    // A training record's verdict depends only on its fields' JSON types (the schema has no other
    // constraint; test/units.test.ts holds it to that): a combination that failed before and whose
    // rules are listed in full is only counted, without zod, whose failing path costs ~4 µs a line.
    const types = form === "instruction" ? trainingFieldTypes(value as Record<string, unknown>) : undefined;
    const rulesOfThese = types === undefined ? undefined : rulesOfTypes.get(types);
    if (rulesOfThese && sink.countIfFull(file, rulesOfThese)) return;
    const checked = schema.safeParse(value);
    if (!checked.success) {
      // Lines that fail the same way yield the same rules: once those are listed in full, only count.
      const shape = checked.error.issues.map((i) => `${i.code}:${i.path.join(".")}`).join("|");
      const rules = rulesOfShape.get(shape);
      if (rules && sink.countIfFull(file, rules)) return;
      const findings = issuesToFindings(checked.error, value, (path) => ({
        file,
        line,
        column: columnOf(text, String(path[0] ?? "")),
      }));
      const ruleNames = findings.map((f) => f.rule);
      if (!rules && rulesOfShape.size < 1000) rulesOfShape.set(shape, ruleNames);
      if (types !== undefined && !rulesOfThese) rulesOfTypes.set(types, ruleNames);
      for (const f of findings) sink.add(f);
      return;
    }
    if (params.maxRecords !== undefined && records >= params.maxRecords) {
      if (records++ === params.maxRecords) add(tooManyRecordsFinding(line, params.maxRecords));
      return;
    }
    records++;
    const record = checked.data as Record<string, unknown>;
    if (form === "messages" || form === "sharegpt") {
      const problem = chatFinding(form, record, text, line);
      if (problem) return add(problem);
    } else {
      const problems = recordFindings(kind, record, text, line, params.scoring);
      if (problems.length > 0) return problems.forEach(add);
    }
    // Every record that reaches here goes through both tables, so the parallel path (where the
    // tables live in another thread) reaches the same verdicts.
    let sameId = 0;
    if (kind === "benchmark") {
      const idColumn = columnOf(text, "id"); // a scan of the line: benchmarks only, not every training line
      sameId = ids.addOrGet(line, String(record.id), idColumn);
      if (sameId > 0) add(duplicateIdFinding(line, idColumn, String(record.id), sameId));
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
      if (sameId === 0) add(duplicateFinding(kind, line, earlier));
      return;
    }
    unique++;
    if (sameId === 0) params.onRecord?.(record as never, line);
  };

  const stats = await streamLines(params.chunks, params.maxLineBytes, atFileStart, {
    line: onLine,
    problem: (p) => add(streamProblemFinding(p, params.maxLineBytes)),
    progress: params.onProgress,
  });
  if (stats.bytes === 0) add(emptyFileFinding(kind));
  return {
    lines: stats.lines,
    bytes: stats.bytes,
    records: Math.min(records, params.maxRecords ?? records),
    unique,
    lfsPointer,
  };
}
