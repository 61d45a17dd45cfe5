/**
 * Text to token ids as the trainer's Hugging Face tokenizer makes them, with llama.cpp's vocabulary.
 *
 * The two differ on one point: at load, llama.cpp promotes every token that spells an end-of-generation
 * marker ("</s>", "<|endoftext|>", "<|eot_id|>", ...) to a control token, even where the converter wrote
 * it as ordinary text (Qwen's vocabulary holds "</s>" as a plain merge), and then splits it out of any
 * text and stops generating at it. Hugging Face splits out only its added tokens. So this splits out the
 * tokens the GGUF file itself marks as control (the converter wrote those from the added tokens) and
 * tokenizes the text between them without special parsing; user-defined added tokens (Qwen3's <think>)
 * are still split out there, by llama.cpp as by Hugging Face.
 */
import type { LlamaModel, Token } from "node-llama-cpp";

/** gguf-py's TokenType.CONTROL */
const CONTROL = 3;

interface GgufTokenizerMetadata {
  tokens?: readonly string[];
  token_type?: readonly number[];
}

export class TrainerTokenizer {
  private readonly controlIds = new Map<string, Token>();
  private readonly controlPattern: RegExp | undefined;
  private readonly types: readonly number[] | undefined;

  constructor(private readonly model: LlamaModel) {
    const ggml = (model.fileInfo.metadata.tokenizer as { ggml?: GgufTokenizerMetadata } | undefined)?.ggml;
    this.types = ggml?.token_type;
    ggml?.tokens?.forEach((text, id) => {
      if (this.types?.[id] === CONTROL && text.length > 0 && !this.controlIds.has(text))
        this.controlIds.set(text, id as Token);
    });
    // longest first: a regex alternation takes the first alternative that matches at a position
    const texts = [...this.controlIds.keys()].sort((a, b) => b.length - a.length);
    this.controlPattern = texts.length
      ? new RegExp(texts.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g")
      : undefined;
  }

  tokenize(text: string): Token[] {
    if (!this.controlPattern) return this.model.tokenize(text, true);
    const tokens: Token[] = [];
    let at = 0;
    for (const match of text.matchAll(this.controlPattern)) {
      if (match.index > at) tokens.push(...this.model.tokenize(text.slice(at, match.index), false));
      tokens.push(this.controlIds.get(match[0])!);
      at = match.index + match[0].length;
    }
    if (at < text.length) tokens.push(...this.model.tokenize(text.slice(at), false));
    return tokens;
  }

  /**
   * Whether generation ends at this token: the GGUF's own end-of-sequence and end-of-turn tokens, and the
   * other end-of-generation tokens of llama.cpp that the file marks as control (not "</s>" as text).
   */
  endsGeneration(token: Token): boolean {
    const { eos, eot } = this.model.tokens;
    if (token === eos || token === eot) return true;
    return this.model.isEogToken(token) && (this.types === undefined || this.types[token] === CONTROL);
  }
}
