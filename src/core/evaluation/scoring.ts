/**
 * Scoring of one model answer against a benchmark item's expected output, per evaluation type.
 * Each scorer is a small pure function returning a score in [0, 1] (1 or 0 except rouge_l); the code
 * type needs the Python grammar loaded first (loadPythonSyntax).
 */
import { RE2JS } from "re2js";
import type { EVALUATION_TYPES } from "../schemas/common.ts";
import { PARSE_BUDGET_MS, pythonSyntax } from "./python-syntax.ts";
import { cachedRegex } from "./regex-cache.ts";

export type EvaluationType = (typeof EVALUATION_TYPES)[number];
export type ScorerConfig = Record<string, unknown>;

/** Longest model answer a scorer looks at: bounds every regex's input. */
const MAX_SCORED_CHARS = 20_000;
/**
 * RE2 runs in time linear in program size x input: `(?:.*){1000}=` (a 2,003-instruction program) took
 * 0.8-3 s on a 20,000-character answer. A pattern scores at most this many instructions x characters
 * (about 0.2 s); a costlier one sees the start of the answer, and the results say so.
 */
const REGEX_BUDGET = 4_000_000;
/**
 * Backslash line continuations a code answer may hold: tree-sitter-python's parse is quadratic in them
 * (1,000: 0.07 s; 2,000: 0.36 s; 10,000: 7 s). Real code holds a handful.
 */
const MAX_LINE_CONTINUATIONS = 500;

/** What a scorer tells beyond the score: how its work was bounded, for the results' problems. */
interface ScoringNotes {
  bounded?: string;
}

/**
 * A number as people write it, as a regex source: a sign (U+2212 too), a $, digit groups (1,000 /
 * 1.000 / 1 000 with a space, no-break or thin space), decimals, a simple fraction (1/2), an exponent,
 * a %. A dot followed by groups of exactly three digits after a leading 1-9 is a group separator
 * (1.000 = 1000, 1.000,5 = 1000.5); 0.125 and 3.14159 stay decimals.
 */
const GROUP_SPACE = " \u00a0\u2009\u202f";
const NUMBER_BODY = [
  "\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?(?![\\d,])",
  "[1-9]\\d{0,2}(?:\\.\\d{3})+(?:,\\d+)?(?![\\d.])",
  `\\d{1,3}(?:[${GROUP_SPACE}]\\d{3})+(?:\\.\\d+)?(?![\\d.])`,
  "\\d+\\/[1-9]\\d*(?![\\d/])",
  "\\d*\\.?\\d+(?:[eE][-+]?\\d+)?",
].join("|");
const NUMBER_TOKEN = `[-+\u2212]?\\$?(?:${NUMBER_BODY})%?`;
const NUMBER = new RegExp(NUMBER_TOKEN, "g");
const WHOLE_NUMBER = new RegExp(`^${NUMBER_TOKEN}$`);

/** A number as written by a model (see NUMBER_TOKEN): its value, or undefined when it is not one. */
function parseNumber(text: string, percentAsFraction = false): number | undefined {
  const t = text.trim().replace(/^\$/, "");
  if (!WHOLE_NUMBER.test(t)) return undefined;
  const negative = /^[-\u2212]/.test(t);
  let body = t.replace(/^[-+\u2212]?\$?/, "");
  const percent = body.endsWith("%");
  if (percent) body = body.slice(0, -1);
  let value: number;
  if (body.includes("/")) {
    const [numerator, denominator] = body.split("/").map(Number);
    value = numerator! / denominator!;
  } else if (/^[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?$/.test(body)) {
    value = Number(body.replaceAll(".", "").replace(",", "."));
  } else value = Number(body.replace(new RegExp(`[,${GROUP_SPACE}]`, "g"), ""));
  if (!Number.isFinite(value)) return undefined;
  if (negative) value = -value;
  return percent && percentAsFraction ? value / 100 : value;
}

/** The content of the last \boxed{...}, with nested braces. */
function lastBoxed(text: string): string | undefined {
  const at = text.lastIndexOf("\\boxed{");
  if (at < 0) return undefined;
  let depth = 0;
  for (let i = at + 6; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(at + 7, i);
  }
  return undefined;
}

/** Where a model states its final number, in the order each convention trusts them. */
const stated = (prefix: string, suffix = "") => new RegExp(`${prefix}(${NUMBER_TOKEN})${suffix}`, "gim");
const HASHES = stated("####\\s*");
const STATED_ANSWER = stated("answer is[:\\s]*");
const ANSWER_LABEL = stated("answer(?: is)?\\s*[:\\s]\\s*");
const EQUALS = stated("=\\s*", "(?![\\d.])");
const EQUALS_AT_LINE_END = stated("=\\s*", "[ \\t]*\\.?[ \\t]*$");
/** A new question the model goes on to ask itself, after it answered: what follows is not its answer. */
const NEXT_QUESTION = /(?:^|[\s.?!])(?:Q|Question|Problem|Exercise)\s*\d*\s*:/i;

/** The output up to where the model, after its first number, starts a new question of its own. */
function ownAnswer(text: string): string {
  const firstDigit = text.search(/\d/);
  if (firstDigit < 0) return text;
  const next = NEXT_QUESTION.exec(text.slice(firstDigit));
  return next ? text.slice(0, firstDigit + next.index) : text;
}

/**
 * The final numeric answer of a model output. loragate's order of trust, in the output up to any new
 * question the model asks itself: GSM8K's "#### N", \boxed{...}, "the answer is ...", the last
 * "= N", else the last number. LocoLLM's eval.py ("locollm"): "the answer is" or "answer:", then
 * \boxed{...}, then "= N" ending a line, else the last number, in the whole output.
 */
export function extractNumber(output: string, order: NumericExtraction = "loragate"): string | undefined {
  const tail = output.slice(-MAX_SCORED_CHARS);
  const text = order === "locollm" ? tail : ownAnswer(tail);
  const boxed = (): string | undefined => lastBoxed(text)?.match(NUMBER)?.at(-1);
  const last = (pattern: RegExp) => () => [...text.matchAll(pattern)].at(-1)?.[1];
  const steps =
    order === "locollm"
      ? [last(ANSWER_LABEL), boxed, last(EQUALS_AT_LINE_END)]
      : [last(HASHES), boxed, last(STATED_ANSWER), last(EQUALS)];
  for (const step of steps) {
    const found = step();
    if (found !== undefined) return found;
  }
  return text.match(NUMBER)?.at(-1);
}

/** Whose order of trust extractNumber follows. */
export type NumericExtraction = "loragate" | "locollm";

function normalizeText(text: string, config: ScorerConfig): string {
  let t = text
    .normalize("NFKC")
    .trim()
    .replace(/\s+/g, " ")
    .replace(/[.!?;:,]+$/, "");
  if (config.case_sensitive !== true) t = t.toLowerCase();
  if (config.numbers !== false) {
    const n = parseNumber(t, config.percent_as_fraction === true);
    if (n !== undefined) t = String(n);
  }
  return t;
}

/** exact_match: equal after normalization; `extract` (a regex with one group) picks the answer first. */
function exactMatch(output: string, expected: string, config: ScorerConfig, notes: ScoringNotes): number {
  let answer = output.slice(0, MAX_SCORED_CHARS);
  if (typeof config.extract === "string") {
    const pattern = safeRegex(config.extract, "i");
    const match = pattern.matcher(withinRegexBudget(pattern, answer, "extract", notes));
    if (!match.find()) return 0;
    answer = (match.groupCount() >= 1 ? match.group(1) : null) ?? match.group(0) ?? "";
  }
  return normalizeText(answer, config) === normalizeText(expected, config) ? 1 : 0;
}

/**
 * numeric: the extracted final number equals the expected one within `tolerance` (relative, default
 * 1e-6); `extraction: locollm` finds the number as LocoLLM's eval.py does.
 */
function numeric(output: string, expected: string, config: ScorerConfig): number {
  const percent = config.percent_as_fraction === true;
  const want = parseNumber(expected, percent);
  const raw = extractNumber(output, config.extraction === "locollm" ? "locollm" : "loragate");
  const got = raw === undefined ? undefined : parseNumber(raw, percent);
  if (want === undefined || got === undefined) return 0;
  const tolerance = typeof config.tolerance === "number" ? config.tolerance : 1e-6;
  return Math.abs(got - want) <= tolerance * Math.max(1, Math.abs(want)) ? 1 : 0;
}

/** contains: the expected text appears in the output (case-insensitive unless case_sensitive). */
function contains(output: string, expected: string, config: ScorerConfig): number {
  const o = output.slice(0, MAX_SCORED_CHARS).replace(/\s+/g, " ");
  const e = expected.trim().replace(/\s+/g, " ");
  if (e === "") return 0;
  return config.case_sensitive === true
    ? Number(o.includes(e))
    : Number(o.toLowerCase().includes(e.toLowerCase()));
}

/** Whether every keyword appears in the text (case-insensitive unless case_sensitive). */
function hasEveryKeyword(text: string, keywords: readonly string[], config: ScorerConfig): boolean {
  const fold = (t: string) => (config.case_sensitive === true ? t : t.toLowerCase()).replace(/\s+/g, " ");
  const haystack = fold(text);
  return keywords.every((k) => haystack.includes(fold(k.trim())));
}

/** keywords: the answer contains every one of the item's answer_keywords (LocoLLM's analysis type). */
function keywords(output: string, expected: ExpectedAnswer, config: ScorerConfig): number {
  return Number(hasEveryKeyword(output.slice(0, MAX_SCORED_CHARS), requireKeywords(expected), config));
}

/**
 * code: the answer's code (its first fenced block, else the whole answer) parses as Python, checked by
 * tree-sitter's grammar, and contains every keyword (LocoLLM's code type).
 */
function code(output: string, expected: ExpectedAnswer, config: ScorerConfig, notes: ScoringNotes): number {
  const answer = output.slice(0, MAX_SCORED_CHARS);
  const fenced = /```[ \t]*(?:python3?|py)?[ \t]*\r?\n([\s\S]*?)```/i.exec(answer);
  const source = fenced ? fenced[1]! : answer;
  const continuations = source.match(/\\(?:\r\n?|\n)/g)?.length ?? 0;
  if (continuations > MAX_LINE_CONTINUATIONS) {
    notes.bounded = `scored 0 unparsed: its code holds ${continuations} backslash line continuations, over ${MAX_LINE_CONTINUATIONS}`;
    return 0;
  }
  const syntax = pythonSyntax(source);
  if (syntax === "over-budget")
    notes.bounded = `scored 0: the Python parse stopped at its ${PARSE_BUDGET_MS} ms budget`;
  return Number(syntax === "valid" && hasEveryKeyword(source, requireKeywords(expected), config));
}

function requireKeywords(expected: ExpectedAnswer): readonly string[] {
  if (!expected.keywords?.length) throw new ScoringError("the item has no answer_keywords to look for");
  return expected.keywords;
}

/** regex: `pattern` (default: the expected output itself, as a regex) matches the output. */
function regex(output: string, expected: string, config: ScorerConfig, notes: ScoringNotes): number {
  const source = typeof config.pattern === "string" ? config.pattern : expected;
  const flags = typeof config.flags === "string" ? config.flags.replace(/[^imsu]/g, "") : "i";
  const pattern = safeRegex(source, flags);
  const answer = withinRegexBudget(pattern, output.slice(0, MAX_SCORED_CHARS), "pattern", notes);
  return pattern.matcher(answer).find() ? 1 : 0;
}

/** The start of `answer` that `pattern` can search within REGEX_BUDGET; notes when that is not all of it. */
function withinRegexBudget(pattern: RE2JS, answer: string, what: string, notes: ScoringNotes): string {
  const chars = Math.floor(REGEX_BUDGET / Math.max(1, pattern.programSize()));
  if (answer.length <= chars) return answer;
  notes.bounded = `the ${what} regex searched the first ${chars} of ${answer.length} characters (a ${pattern.programSize()}-instruction program)`;
  return answer.slice(0, chars);
}

/** rouge_l: F1 of the longest common subsequence of lower-cased word tokens. */
function rougeL(output: string, expected: string): number {
  const a =
    output
      .slice(0, MAX_SCORED_CHARS)
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const b = expected.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (a.length === 0 || b.length === 0) return 0;
  // One row of the LCS table at a time: memory O(|b|).
  let prev = new Uint32Array(b.length + 1);
  let row = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      row[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, row[j - 1]!);
    [prev, row] = [row, prev];
  }
  const lcs = prev[b.length]!;
  if (lcs === 0) return 0;
  const precision = lcs / a.length;
  const recall = lcs / b.length;
  return (2 * precision * recall) / (precision + recall);
}

/** What an item expects: its reference text, and the keywords a keywords or code item looks for. */
export interface ExpectedAnswer {
  text: string;
  keywords?: readonly string[];
}

const SCORERS: Record<
  EvaluationType,
  (output: string, expected: ExpectedAnswer, config: ScorerConfig, notes: ScoringNotes) => number
> = {
  exact_match: (output, expected, config, notes) => exactMatch(output, expected.text, config, notes),
  numeric: (output, expected, config) => numeric(output, expected.text, config),
  contains: (output, expected, config) => contains(output, expected.text, config),
  regex: (output, expected, config, notes) => regex(output, expected.text, config, notes),
  rouge_l: (output, expected) => rougeL(output, expected.text),
  keywords,
  code,
};

/** An item that cannot be scored (an unsafe regex, no keywords): it scores 0 and the results say why. */
class ScoringError extends Error {}
class UnsafeRegexError extends ScoringError {}

/**
 * Compiles a regex from benchmark data or a manifest for RE2 (re2js): matching time is linear in the
 * input whatever the pattern, so no pattern can stall scoring (a blocklist of backtracking shapes
 * always misses some). RE2 has no back-references or lookarounds; such patterns are refused.
 */
export const RE2_HINT = "write it in RE2 syntax (no back-references or lookarounds), at most 500 characters";

export function safeRegex(pattern: string, flags: string): RE2JS {
  if (pattern.length > 500) throw new UnsafeRegexError("regex longer than 500 characters");
  const options =
    (flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0) |
    (flags.includes("s") ? RE2JS.DOTALL : 0) |
    (flags.includes("m") ? RE2JS.MULTILINE : 0);
  return cachedRegex(pattern, String(options), () => {
    try {
      return RE2JS.compile(pattern, options);
    } catch (error) {
      throw new UnsafeRegexError(`not a valid RE2 regex (${(error as Error).message.split(":")[0]})`);
    }
  });
}

/**
 * Scores one answer; an item that cannot be scored (e.g. an unsafe regex) scores 0 and says why in
 * `error`; `bounded` says how a costly answer's scoring was cut short (it never names the item's text).
 */
export function scoreAnswer(
  type: EvaluationType,
  output: string,
  expected: string | ExpectedAnswer,
  config: ScorerConfig = {},
): { score: number; error?: string; bounded?: string } {
  const notes: ScoringNotes = {};
  try {
    const score = SCORERS[type](
      output,
      typeof expected === "string" ? { text: expected } : expected,
      config,
      notes,
    );
    return notes.bounded ? { score, bounded: notes.bounded } : { score };
  } catch (error) {
    if (error instanceof ScoringError) return { score: 0, error: error.message };
    throw error;
  }
}
