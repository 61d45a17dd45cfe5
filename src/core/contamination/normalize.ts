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
 * Token hashes in one reused typed array: the scan fills one per training example, and a number[] of
 * 32-bit hashes costs twice as much to fill (measured: 80 vs 39 ms for the 20k benchmark set's 1.55M).
 */
export class TokenList {
  private data = new Uint32Array(256);
  length = 0;

  /** The hashes, as a view valid until the list next grows. */
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  /** Room for `more` hashes past the current ones (a text of n UTF-16 units has at most n tokens). */
  reserve(more: number): Uint32Array {
    if (this.length + more > this.data.length) {
      const bigger = new Uint32Array(2 ** Math.ceil(Math.log2(this.length + more)));
      bigger.set(this.data.subarray(0, this.length));
      this.data = bigger;
    }
    return this.data;
  }

  push(hash: number): void {
    this.reserve(1)[this.length++] = hash;
  }
}

/**
 * Appends to `out` the hashes of the normalized tokens of a text, equal to tokenize(text).map(tokenHash).
 * ASCII text (most training data) is hashed in one pass over its characters.
 */
export function appendTokenHashes(text: string, out: TokenList): void {
  const data = out.reserve(text.length);
  const start = out.length;
  let at = start;
  let h = FNV_OFFSET;
  let kind = 0; // the class of the token being read; 0 between tokens
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      out.length = start;
      for (const token of tokenize(text)) out.push(tokenHash(token));
      return;
    }
    const k = CLASS[c]!;
    if (k !== kind) {
      if (kind === 1) data[at++] = finish(h);
      else if (kind === 2) data[at++] = NUMBER_HASH;
      kind = k;
      h = FNV_OFFSET;
    }
    if (k === 1) h = Math.imul(h ^ LOWER[c]!, FNV_PRIME);
  }
  if (kind === 1) data[at++] = finish(h);
  else if (kind === 2) data[at++] = NUMBER_HASH;
  out.length = at;
}

/** The token hashes of one text, as a new array (for one-off uses; the scan reuses a TokenList). */
export function tokenHashes(text: string): number[] {
  const list = new TokenList();
  appendTokenHashes(text, list);
  return Array.from(list.view());
}
