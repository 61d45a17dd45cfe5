/**
 * Tiny llama-architecture models and LoRA adapters, generated from a seed: real GGUF files that
 * llama.cpp loads and runs, so the harness is tested (and the demo runs) on real inference without
 * downloading a model. Weights are random, so the text is gibberish, but it is deterministic, and
 * an adapter changes it.
 */
import { mulberry32 } from "../core/random.ts";
import { type GgufMetaValue, type GgufTensor, type GgufTensorType, writeGguf } from "./write-gguf.ts";

export interface TinyLlamaShape {
  embedding: number;
  layers: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  contextLength: number;
}

export const TINY_SHAPE: TinyLlamaShape = {
  embedding: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  feedForward: 192,
  contextLength: 2048,
};

/** A plain chat template (Jinja, as in Hugging Face tokenizers) that node-llama-cpp renders. */
const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}" +
  "{% else %}{{ 'Assistant: ' + message['content'] + eos_token + '\\n' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

const WORDS = [
  "the",
  "and",
  "is",
  "of",
  "to",
  "in",
  "a",
  "how",
  "many",
  "what",
  "total",
  "answer",
  "cost",
  "apples",
  "left",
  "train",
  "far",
  "number",
  "sum",
  "each",
  "are",
  "there",
  "def",
  "return",
  "print",
  "list",
  "function",
  "value",
  "data",
  "mean",
  "median",
  "count",
  "if",
  "for",
  "with",
];

/**
 * A SentencePiece-style vocabulary as llama.cpp's SPM tokenizer reads it: unk/bos/eos, the 256
 * byte-fallback tokens, single characters, letter pairs and whole words (longer pieces score
 * higher, so they merge first). About two characters per token, so prompts are as long in tokens
 * as they would be for a real model within a factor of two.
 */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6);
  }
  const pieces = ["▁"];
  for (let c = 33; c < 127; c++) pieces.push(String.fromCharCode(c));
  const letters = "abcdefghijklmnopqrstuvwxyz";
  for (const a of letters) {
    pieces.push(`▁${a}`);
    for (const b of letters) pieces.push(`${a}${b}`);
  }
  for (const word of WORDS) if (word.length > 1) pieces.push(`▁${word}`);
  for (let d = 0; d < 10; d++) pieces.push(`▁${d}`);
  tokens.push(...pieces);
  types.push(...pieces.map(() => 1));
  const scores = tokens.map((token, id) => (types[id] === 1 ? token.length * 10 - id / 1000 : 0));
  return { tokens, scores, types };
}

function randomTensor(
  random: () => number,
  name: string,
  shape: number[],
  scale: number,
  type: GgufTensorType = "F32",
): GgufTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * scale;
  return { name, shape, type, data };
}

const ones = (name: string, n: number): GgufTensor => ({
  name,
  shape: [n],
  type: "F32",
  data: new Float32Array(n).fill(1),
});

/** The bytes of a tiny llama GGUF; 2-D weights in Q8_0 (as a quantized inference base) unless asked. */
export function tinyLlamaGguf(
  options: {
    seed?: number;
    shape?: TinyLlamaShape;
    name?: string;
    weights?: GgufTensorType;
    /** End-of-sequence token (default 2, `</s>`); another id makes the model stop where it emits that one. */
    eosTokenId?: number;
  } = {},
): Buffer {
  const shape = options.shape ?? TINY_SHAPE;
  const random = mulberry32(options.seed ?? 2026);
  const vocab = vocabulary();
  const n = shape.embedding;
  const kv = (n / shape.heads) * shape.kvHeads;
  const weights = options.weights ?? "Q8_0";
  const weight = (name: string, dims: number[]) =>
    randomTensor(random, name, dims, 1 / Math.sqrt(dims[0]!), weights);
  const tensors: GgufTensor[] = [
    randomTensor(random, "token_embd.weight", [n, vocab.tokens.length], 1, weights),
    ones("output_norm.weight", n),
    weight("output.weight", [n, vocab.tokens.length]),
  ];
  for (let layer = 0; layer < shape.layers; layer++) {
    const blk = `blk.${layer}`;
    tensors.push(
      ones(`${blk}.attn_norm.weight`, n),
      weight(`${blk}.attn_q.weight`, [n, n]),
      weight(`${blk}.attn_k.weight`, [n, kv]),
      weight(`${blk}.attn_v.weight`, [n, kv]),
      weight(`${blk}.attn_output.weight`, [n, n]),
      ones(`${blk}.ffn_norm.weight`, n),
      weight(`${blk}.ffn_gate.weight`, [n, shape.feedForward]),
      weight(`${blk}.ffn_up.weight`, [n, shape.feedForward]),
      weight(`${blk}.ffn_down.weight`, [shape.feedForward, n]),
    );
  }
  const metadata: Record<string, GgufMetaValue> = {
    "general.architecture": "llama",
    "general.type": "model",
    "general.name": options.name ?? "loragate tiny llama",
    "general.file_type": { u32: { F32: 0, F16: 1, Q4_1: 3, Q8_0: 7 }[weights] },
    "llama.context_length": { u32: shape.contextLength },
    "llama.embedding_length": { u32: n },
    "llama.block_count": { u32: shape.layers },
    "llama.feed_forward_length": { u32: shape.feedForward },
    "llama.rope.dimension_count": { u32: n / shape.heads },
    "llama.attention.head_count": { u32: shape.heads },
    "llama.attention.head_count_kv": { u32: shape.kvHeads },
    "llama.attention.layer_norm_rms_epsilon": { f32: 1e-5 },
    "llama.vocab_size": { u32: vocab.tokens.length },
    "tokenizer.ggml.model": "llama",
    "tokenizer.ggml.tokens": { strings: vocab.tokens },
    "tokenizer.ggml.scores": { f32s: vocab.scores },
    "tokenizer.ggml.token_type": { i32s: vocab.types },
    "tokenizer.ggml.unknown_token_id": { u32: 0 },
    "tokenizer.ggml.bos_token_id": { u32: 1 },
    "tokenizer.ggml.eos_token_id": { u32: options.eosTokenId ?? 2 },
    "tokenizer.ggml.add_bos_token": true,
    "tokenizer.chat_template": TINY_CHAT_TEMPLATE,
  };
  return writeGguf(metadata, tensors);
}

/** LoRA adapter GGUF for a tiny llama: A and B on attention q, k, v and output projections. */
export function tinyLoraGguf(
  options: { seed?: number; shape?: TinyLlamaShape; rank?: number; alpha?: number } = {},
): Buffer {
  const shape = options.shape ?? TINY_SHAPE;
  const rank = options.rank ?? 16;
  const random = mulberry32(options.seed ?? 7);
  const n = shape.embedding;
  const kv = (n / shape.heads) * shape.kvHeads;
  const tensors: GgufTensor[] = [];
  for (let layer = 0; layer < shape.layers; layer++) {
    for (const [target, out] of [
      ["attn_q", n],
      ["attn_k", kv],
      ["attn_v", kv],
      ["attn_output", n],
    ] as const) {
      const base = `blk.${layer}.${target}.weight`;
      tensors.push(
        randomTensor(random, `${base}.lora_a`, [n, rank], 1 / Math.sqrt(n)),
        randomTensor(random, `${base}.lora_b`, [rank, out], 1 / Math.sqrt(rank)),
      );
    }
  }
  return writeGguf(
    {
      "general.architecture": "llama",
      "general.type": "adapter",
      "general.name": "loragate tiny lora",
      "adapter.type": "lora",
      "adapter.lora.alpha": { f32: options.alpha ?? 32 },
    },
    tensors,
  );
}
