/**
 * One tiny base model in the two formats loragate uses: the Hugging Face folder the trainer fine-tunes
 * (config.json, model.safetensors, tokenizer.json with the chat template) and the GGUF the harness
 * evaluates with llama.cpp, with the same float32 weights and the same tokenizer, for the llama, qwen2
 * and qwen3 architectures. Seeded, so a registry can pin its sha256.
 *
 * Written here rather than by llama.cpp's convert_hf_to_gguf.py: the demo and the tests need the GGUF
 * without a Python environment, and writing both sides from one set of arrays makes "the same model"
 * true by construction; the agreement test (llama.cpp vs transformers) checks the layout.
 */
import { mulberry32 } from "../core/random.ts";
import { type ByteBpe, learnByteBpe, tokenizerJson } from "./byte-bpe.ts";
import { type FloatTensor, writeSafetensors } from "./safetensors.ts";
import { permuteRows } from "./peft-to-gguf.ts";
import { TINY_SHAPE, type TinyLlamaShape } from "./tiny-llama.ts";
import { type GgufMetaValue, type GgufTensor, writeGguf } from "./write-gguf.ts";

export const TINY_ARCHITECTURES = ["llama", "qwen2", "qwen3"] as const;
export type TinyArchitecture = (typeof TINY_ARCHITECTURES)[number];

/** ChatML, as Qwen's models frame turns; no BOS (the GGUF says add_bos_token = false). */
const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * How a tiny base frames turns, after the families whose quirks matter to "trained = evaluated":
 * Llama 3 trims every turn and writes BOS in the template; Qwen2 adds a default system turn when there
 * is none; Qwen3 (non-thinking) opens the generation prompt with an empty think block that a finished
 * turn does not have. `chatml` is the plain framing the fixture registry's base uses.
 */
export const CHAT_STYLES = {
  chatml: { template: CHATML_TEMPLATE, special: [], bos: undefined, endOfTurn: "<|im_end|>" },
  llama3: {
    template:
      "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
    special: ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
    bos: "<|begin_of_text|>",
    endOfTurn: "<|eot_id|>",
  },
  qwen2: {
    template:
      "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}" +
      CHATML_TEMPLATE,
    special: [],
    bos: undefined,
    endOfTurn: "<|im_end|>",
  },
  qwen3: {
    // Like Qwen3's own: an answer after the last user turn, and the generation prompt, open with an
    // empty think block; answers to earlier turns are written without it.
    template:
      "{% set ns = namespace(last_user=-1) %}{% for message in messages %}{% if message['role'] == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}{% endfor %}" +
      "{% for message in messages %}{% if message['role'] == 'assistant' and loop.index0 > ns.last_user %}{{ '<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n' + message['content'] + '<|im_end|>\\n' }}" +
      "{% else %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endif %}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n' }}{% endif %}",
    special: ["<think>", "</think>"],
    bos: undefined,
    endOfTurn: "<|im_end|>",
  },
} as const;
export type ChatStyle = keyof typeof CHAT_STYLES;

export interface WeightDeviations {
  embedding: number;
  /** q, k, v, gate and up projections (they read the residual stream). */
  reading: number;
  /** o and down projections (they write into it). */
  writing: number;
  head: number;
}

const TINY_DEVIATIONS: WeightDeviations = { embedding: 1, reading: 0.125, writing: 0.02, head: 0.3 };

const SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;
const RMS_EPSILON = 1e-6;
const ROPE_THETA = 10000;

export interface TinyBaseOptions {
  architecture: TinyArchitecture;
  /** Texts the tokenizer's merges are learned from (what the model will mostly read). */
  corpus: readonly string[];
  merges?: number;
  seed?: number;
  shape?: TinyLlamaShape;
  /** Standard deviations of the random weights, by role (TINY_DEVIATIONS unless given). */
  deviations?: Partial<WeightDeviations>;
  name?: string;
  /** How turns are framed (CHAT_STYLES; chatml unless given). */
  chatStyle?: ChatStyle;
}

export interface TinyBase {
  /** The Hugging Face folder: file name to bytes. */
  hf: Record<string, Buffer>;
  gguf: Buffer;
  tokenizer: ByteBpe;
}

export function tinyBase(options: TinyBaseOptions): TinyBase {
  const arch = options.architecture;
  const shape = options.shape ?? TINY_SHAPE;
  const chat = CHAT_STYLES[options.chatStyle ?? "chatml"];
  const bpe = learnByteBpe(options.corpus, options.merges ?? 600, [...SPECIAL_TOKENS, ...chat.special]);
  const weights = tinyWeights({
    architecture: arch,
    shape,
    vocabulary: bpe.tokens.length,
    seed: options.seed,
    deviations: options.deviations,
  });
  const endOfText = bpe.special["<|endoftext|>"]!;
  const endOfTurn = bpe.special[chat.endOfTurn]!;
  const specialIds = new Set(Object.values(bpe.special));
  const name = options.name ?? `loragate tiny ${arch}`;
  return {
    tokenizer: bpe,
    hf: {
      ...huggingFaceModel({
        architecture: arch,
        shape,
        tensors: weights.hf,
        vocabulary: bpe.tokens.length,
        bos: chat.bos ? bpe.special[chat.bos]! : endOfText,
        eos: [endOfTurn],
        pad: endOfText,
      }),
      "tokenizer.json": json(tokenizerJson(bpe)),
      "tokenizer_config.json": json({
        tokenizer_class: "PreTrainedTokenizerFast",
        bos_token: chat.bos ?? null,
        eos_token: chat.endOfTurn,
        pad_token: "<|endoftext|>",
        add_bos_token: false,
        add_eos_token: false,
        model_max_length: shape.contextLength,
        chat_template: chat.template,
      }),
    },
    gguf: writeGguf(
      {
        ...architectureMetadata(arch, shape, bpe.tokens.length, name),
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": "qwen2",
        "tokenizer.ggml.tokens": { strings: bpe.tokens },
        "tokenizer.ggml.token_type": { i32s: bpe.tokens.map((_, id) => (specialIds.has(id) ? 3 : 1)) },
        "tokenizer.ggml.merges": { strings: bpe.merges.map(([a, b]) => `${a} ${b}`) },
        "tokenizer.ggml.bos_token_id": { u32: bpe.special[chat.bos ?? "<|endoftext|>"]! },
        "tokenizer.ggml.eos_token_id": { u32: endOfTurn },
        "tokenizer.ggml.padding_token_id": { u32: endOfText },
        "tokenizer.ggml.add_bos_token": false,
        "tokenizer.chat_template": chat.template,
      },
      weights.gguf,
    ),
  };
}

export const json = (value: object) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/**
 * Random weights of a tiny model of `architecture`, as both sides name and lay them out: Hugging
 * Face's names and [out, in] shapes, and the same arrays under llama.cpp's names. With `tied`, the
 * output head is the embedding (no lm_head / output tensor), as in Qwen3's small models.
 */
export function tinyWeights(params: {
  architecture: TinyArchitecture;
  shape: TinyLlamaShape;
  vocabulary: number;
  seed?: number;
  deviations?: Partial<WeightDeviations>;
  tied?: boolean;
}): { hf: Record<string, FloatTensor>; gguf: GgufTensor[] } {
  const { architecture: arch, shape, vocabulary: vocab } = params;
  const headDim = shape.embedding / shape.heads;
  const qRows = shape.heads * headDim;
  const kvRows = shape.kvHeads * headDim;
  const random = mulberry32(params.seed ?? 2026);
  const deviation = { ...TINY_DEVIATIONS, ...params.deviations };
  const randomTensor = (shapeRowsFirst: number[], std: number, centre = 0): FloatTensor => ({
    shape: shapeRowsFirst,
    data: Float32Array.from(
      { length: shapeRowsFirst.reduce((a, b) => a * b, 1) },
      () => centre + (random() * 2 - 1) * std * Math.sqrt(3), // uniform with that deviation
    ),
  });
  const norm = (n: number) => randomTensor([n], 0.05, 1);
  const reading = (rows: number, columns: number) => randomTensor([rows, columns], deviation.reading);
  const writing = (rows: number, columns: number) => randomTensor([rows, columns], deviation.writing);

  const hf: Record<string, FloatTensor> = {};
  const gguf: GgufTensor[] = [];
  const both = (hfName: string, ggufName: string, tensor: FloatTensor, ggufData = tensor.data) => {
    hf[hfName] = tensor;
    gguf.push({ name: ggufName, shape: [...tensor.shape].reverse(), type: "F32", data: ggufData });
  };
  both(
    "model.embed_tokens.weight",
    "token_embd.weight",
    randomTensor([vocab, shape.embedding], deviation.embedding),
  );
  for (let layer = 0; layer < shape.layers; layer++) {
    const h = `model.layers.${layer}`;
    const blk = `blk.${layer}`;
    both(`${h}.input_layernorm.weight`, `${blk}.attn_norm.weight`, norm(shape.embedding));
    const q = reading(qRows, shape.embedding);
    const k = reading(kvRows, shape.embedding);
    // llama.cpp's llama rotates interleaved pairs, Hugging Face's halves: q and k rows are permuted
    // per head, as convert_hf_to_gguf.py does (qwen2 and qwen3 use the halves in both).
    const permuted = (t: FloatTensor, heads: number) =>
      arch === "llama" ? permuteRows(t.data, t.shape[0]!, t.shape[1]!, heads) : t.data;
    both(`${h}.self_attn.q_proj.weight`, `${blk}.attn_q.weight`, q, permuted(q, shape.heads));
    both(`${h}.self_attn.k_proj.weight`, `${blk}.attn_k.weight`, k, permuted(k, shape.kvHeads));
    both(`${h}.self_attn.v_proj.weight`, `${blk}.attn_v.weight`, reading(kvRows, shape.embedding));
    if (arch === "qwen2")
      for (const [proj, rows] of [
        ["q", qRows],
        ["k", kvRows],
        ["v", kvRows],
      ] as const)
        both(
          `${h}.self_attn.${proj}_proj.bias`,
          `${blk}.attn_${proj}.bias`,
          randomTensor([rows], deviation.reading),
        );
    if (arch === "qwen3") {
      both(`${h}.self_attn.q_norm.weight`, `${blk}.attn_q_norm.weight`, norm(headDim));
      both(`${h}.self_attn.k_norm.weight`, `${blk}.attn_k_norm.weight`, norm(headDim));
    }
    both(`${h}.self_attn.o_proj.weight`, `${blk}.attn_output.weight`, writing(shape.embedding, qRows));
    both(`${h}.post_attention_layernorm.weight`, `${blk}.ffn_norm.weight`, norm(shape.embedding));
    both(`${h}.mlp.gate_proj.weight`, `${blk}.ffn_gate.weight`, reading(shape.feedForward, shape.embedding));
    both(`${h}.mlp.up_proj.weight`, `${blk}.ffn_up.weight`, reading(shape.feedForward, shape.embedding));
    both(`${h}.mlp.down_proj.weight`, `${blk}.ffn_down.weight`, writing(shape.embedding, shape.feedForward));
  }
  both("model.norm.weight", "output_norm.weight", norm(shape.embedding));
  if (!params.tied)
    both("lm_head.weight", "output.weight", randomTensor([vocab, shape.embedding], deviation.head));
  return { hf, gguf };
}

const HF_CLASSES: Record<TinyArchitecture, string> = {
  llama: "LlamaForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen3: "Qwen3ForCausalLM",
};

/** The Hugging Face model files (config, generation config, weights) of a tiny base, tokenizer aside. */
export function huggingFaceModel(params: {
  architecture: TinyArchitecture;
  shape: TinyLlamaShape;
  tensors: Record<string, FloatTensor>;
  vocabulary: number;
  bos: number;
  /** End-of-generation ids: the first is the config's eos_token_id, all of them generation_config's. */
  eos: number[];
  pad: number;
  tied?: boolean;
}): Record<string, Buffer> {
  const { architecture: arch, shape } = params;
  const eos = params.eos.length === 1 ? params.eos[0]! : params.eos;
  const config = {
    architectures: [HF_CLASSES[arch]],
    model_type: arch,
    vocab_size: params.vocabulary,
    hidden_size: shape.embedding,
    intermediate_size: shape.feedForward,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    head_dim: shape.embedding / shape.heads,
    hidden_act: "silu",
    max_position_embeddings: shape.contextLength,
    rms_norm_eps: RMS_EPSILON,
    rope_theta: ROPE_THETA,
    rope_parameters: { rope_type: "default", rope_theta: ROPE_THETA },
    attention_bias: false,
    mlp_bias: false,
    use_sliding_window: false,
    tie_word_embeddings: params.tied ?? false,
    bos_token_id: params.bos,
    eos_token_id: eos,
    pad_token_id: params.pad,
    dtype: "float32",
  };
  return {
    "config.json": json(config),
    "generation_config.json": json({ eos_token_id: eos, pad_token_id: params.pad }),
    "model.safetensors": writeSafetensors(params.tensors),
  };
}

/** llama.cpp's hyperparameters of a tiny base, as convert_hf_to_gguf.py writes them (all F32). */
export function architectureMetadata(
  arch: TinyArchitecture,
  shape: TinyLlamaShape,
  vocabulary: number,
  name: string,
): Record<string, GgufMetaValue> {
  const headDim = shape.embedding / shape.heads;
  return {
    "general.architecture": arch,
    "general.type": "model",
    "general.name": name,
    "general.file_type": { u32: 0 }, // all F32
    [`${arch}.context_length`]: { u32: shape.contextLength },
    [`${arch}.embedding_length`]: { u32: shape.embedding },
    [`${arch}.block_count`]: { u32: shape.layers },
    [`${arch}.feed_forward_length`]: { u32: shape.feedForward },
    [`${arch}.attention.head_count`]: { u32: shape.heads },
    [`${arch}.attention.head_count_kv`]: { u32: shape.kvHeads },
    [`${arch}.attention.key_length`]: { u32: headDim },
    [`${arch}.attention.value_length`]: { u32: headDim },
    [`${arch}.attention.layer_norm_rms_epsilon`]: { f32: RMS_EPSILON },
    [`${arch}.rope.dimension_count`]: { u32: headDim },
    [`${arch}.rope.freq_base`]: { f32: ROPE_THETA },
    [`${arch}.vocab_size`]: { u32: vocabulary },
  };
}
