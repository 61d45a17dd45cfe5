/**
 * A byte-level BPE tokenizer (GPT-2's scheme, Qwen2's pre-tokenizer) learned from a small corpus: the
 * tiny bases' tokenizer. Byte-level BPE is the one tokenizer that Hugging Face's `tokenizers` and
 * llama.cpp implement from the same two lists (tokens and merges), so the trainer and the harness
 * turn one text into the same token ids; a test compares them.
 */

/** Qwen2's pre-tokenizer split, as Hugging Face's tokenizer.json and llama.cpp (`pre = qwen2`) apply it. */
const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The same split in JavaScript (no inline `(?i:)`); only used to count pairs while learning merges. */
const SPLIT =
  /'(?:[sStTmMdD]|[rR][eE]|[vV][eE]|[lL][lL])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** GPT-2's map from bytes to printable characters: token strings are made of these. */
export const BYTE_CHARS: readonly string[] = (() => {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
})();

export interface ByteBpe {
  /** Token strings by id: the 256 byte characters, then one per merge, then the special tokens. */
  tokens: string[];
  /** Merges in rank order, each a pair of token strings. */
  merges: [string, string][];
  /** Special (control) tokens, by text. */
  special: Record<string, number>;
}

/**
 * Learns `mergeCount` merges from `corpus` (the most frequent adjacent pair first, ties by text, so
 * the result depends only on the corpus) and appends `specialTokens`.
 */
export function learnByteBpe(
  corpus: readonly string[],
  mergeCount: number,
  specialTokens: readonly string[],
): ByteBpe {
  const counts = new Map<string, number>();
  for (const text of corpus)
    for (const piece of text.match(SPLIT) ?? []) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  const words = [...counts].map(([piece, count]) => ({
    symbols: [...Buffer.from(piece, "utf8")].map((b) => BYTE_CHARS[b]!),
    count,
  }));

  const tokens = [...BYTE_CHARS];
  const known = new Set(tokens);
  const merges: [string, string][] = [];
  while (merges.length < mergeCount) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of words)
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    let best: string | undefined;
    let bestCount = 1; // a pair seen once is not worth a token
    for (const [key, count] of pairs)
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    if (best === undefined) break;
    const [left, right] = best.split(" ") as [string, string];
    merges.push([left, right]);
    // two merge paths can spell the same token ("ab"+"c", "a"+"bc"): one id per text
    if (!known.has(left + right)) known.add(tokens[tokens.push(left + right) - 1]!);
    for (const word of words) word.symbols = mergePair(word.symbols, left, right);
  }
  const special = Object.fromEntries(specialTokens.map((text, i) => [text, tokens.length + i]));
  return { tokens: [...tokens, ...specialTokens], merges, special };
}

function mergePair(symbols: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else out.push(symbols[i]!);
  }
  return out;
}

/** tokenizer.json for Hugging Face's `tokenizers` (what AutoTokenizer loads). */
export function tokenizerJson(bpe: ByteBpe): object {
  const byteLevel = { add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: Object.entries(bpe.special).map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: QWEN2_SPLIT }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", ...byteLevel },
      ],
    },
    post_processor: null,
    decoder: { type: "ByteLevel", ...byteLevel },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(
        bpe.tokens.slice(0, bpe.tokens.length - Object.keys(bpe.special).length).map((t, id) => [t, id]),
      ),
      merges: bpe.merges,
    },
  };
}
