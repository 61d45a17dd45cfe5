/** Byte- and text-level helpers shared by the YAML and JSONL readers. */

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

export function startsWithBom(bytes: Uint8Array): boolean {
  return bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
}

/** Index of the first byte that breaks UTF-8 (overlongs and surrogates included), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || i + k >= end || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Number of characters (UTF-16 code units, as editors count) in a valid UTF-8 byte prefix. */
export function charCountOfUtf8Prefix(bytes: Uint8Array, length: number): number {
  let chars = 0;
  for (let i = 0; i < length; i++) {
    const b = bytes[i]!;
    if ((b & 0xc0) !== 0x80) chars += b >= 0xf0 ? 2 : 1;
  }
  return chars;
}

/** 1-based line and column of a character index in a text. */
export function lineColumnAt(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

/**
 * Characters a terminal or an editor acts on instead of showing: C0 controls (ESC starts a terminal
 * sequence), DEL, C1 controls (0x9b is a one-byte CSI), line separators and bidirectional overrides
 * (which reorder what a reader sees).
 */
const UNSHOWN = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text with every UNSHOWN character written as its \uXXXX escape, the rest as it is. */
export function withoutControls(text: string): string {
  return text.replace(UNSHOWN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Text of several lines (a report, markdown, JSON) with every UNSHOWN character but line feed and tab
 * escaped: in JSON text the escape is JSON's own, as JSON.stringify leaves DEL, C1 and bidi raw.
 */
export function withoutControlsKeepingLines(text: string): string {
  return text.replace(UNSHOWN, (c) =>
    c === "\n" || c === "\t" ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A value made safe to print on one line: control characters escaped, length capped. */
export function printable(value: string, max = 80): string {
  const escaped = withoutControls(JSON.stringify(value).slice(1, -1));
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}

/** `1 error`, `2 errors`: a count with its noun, plural by adding "s" (every noun loragate counts does). */
export const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** The name among `names` within two edits of `name` (a typo), nearest first; undefined when none. */
export function closestName(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of names) {
    const distance = editDistance(name.toLowerCase(), candidate, bestDistance);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance, or `cap` once it is sure to reach it (names here are short). */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    if (Math.min(...row) >= cap) return cap;
    previous = row;
  }
  return previous[b.length]!;
}
