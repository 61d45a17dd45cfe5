/**
 * Text normalization for contamination checks: Unicode NFKC, lower case, punctuation and symbols
 * dropped, every run of digits mapped to one symbol (so a copy with changed numbers is still a
 * copy), words split on whitespace; scripts written without spaces (CJK) give one token a character.
 * Tokens are used as 32-bit hashes: the scan never builds the token strings of ASCII text.
 */

/** The symbol every digit run becomes. */
const NUMBER = "0";

// Han, Hiragana, Katakana and Hangul characters are tokens of their own (no spaces between words).
const TOKEN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|\p{Nd}+|[\p{L}\p{M}]+/gu;

/** Normalized tokens of a text, in order (the reference the hashing fast path must agree with). */
export function tokenize(text: string): string[] {
  const out = text.normalize("NFKC").toLowerCase().match(TOKEN) ?? [];
  for (let i = 0; i < out.length; i++) if (/^\p{Nd}/u.test(out[i]!)) out[i] = NUMBER;
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;

function finish(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

/** 32-bit hash of a normalized token. */
export function tokenHash(token: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), FNV_PRIME);
  return finish(h);
}

export const NUMBER_HASH = tokenHash(NUMBER);

// ASCII character classes: 0 separator, 1 letter (LOWER holds its lower case), 2 digit.
const CLASS = new Uint8Array(128);
const LOWER = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 48 && c <= 57) CLASS[c] = 2;
  else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
    CLASS[c] = 1;
    LOWER[c] = c | 32;
  }
}

/**
 * Hashes of the normalized tokens of a text, equal to tokenize(text).map(tokenHash), appended to
 * `out`. ASCII text (most training data) is hashed in one pass over its characters.
 */
export function tokenHashes(text: string, out: number[] = []): number[] {
  const start = out.length;
  let h = FNV_OFFSET;
  let kind = 0; // the class of the token being read; 0 between tokens
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      out.length = start;
      return slowTokenHashes(text, out);
    }
    const k = CLASS[c]!;
    if (k !== kind) {
      if (kind === 1) out.push(finish(h));
      else if (kind === 2) out.push(NUMBER_HASH);
      kind = k;
      h = FNV_OFFSET;
    }
    if (k === 1) h = Math.imul(h ^ LOWER[c]!, FNV_PRIME);
  }
  if (kind === 1) out.push(finish(h));
  else if (kind === 2) out.push(NUMBER_HASH);
  return out;
}

function slowTokenHashes(text: string, out: number[]): number[] {
  for (const token of tokenize(text)) out.push(tokenHash(token));
  return out;
}
