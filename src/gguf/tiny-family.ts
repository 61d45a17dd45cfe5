/**
 * Tiny random-weight bases of real model families: the family's own tokenizer.json and
 * tokenizer_config.json (its chat template included), as a registry on that family reads them, with a
 * tiny model of its architecture. Both sides get them the way a real base comes: the Hugging Face folder
 * holds the files as they are, and the GGUF's tokenizer is written as llama.cpp's convert_hf_to_gguf.py
 * writes it (the vocabulary padded to vocab_size with [PAD<id>], token types from the added tokens,
 * merges, the pre-tokenizer's name, the chat template). So "trained = evaluated" is tested against the
 * same quirks a Qwen3 or Llama 3 registry meets, without downloading weights.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TinyLlamaShape } from "./tiny-llama.ts";
import { architectureMetadata, huggingFaceModel, type TinyArchitecture, tinyWeights } from "./tiny-base.ts";
import { writeGguf } from "./write-gguf.ts";

export interface FamilyTokenizer {
  architecture: TinyArchitecture;
  /** llama.cpp's name for the family's pre-tokenizer (tokenizer.ggml.pre). */
  pre: string;
  /** The model's vocab_size: the embedding's rows, more than the tokenizer's tokens. */
  vocabSize: number;
  bos: string;
  /** End-of-generation tokens: the first is the tokenizer's eos, all of them generation_config's. */
  eos: string[];
  pad: string;
  /** Whether the GGUF says BOS is added (convert_hf_to_gguf.py reads it from the tokenizer's post-processor). */
  addBos: boolean;
}

/** The families proven here, with the values their published configs give. */
export const FAMILIES = {
  qwen3: {
    architecture: "qwen3",
    pre: "qwen2",
    vocabSize: 151_936,
    bos: "<|endoftext|>",
    eos: ["<|im_end|>", "<|endoftext|>"],
    pad: "<|endoftext|>",
    addBos: false,
  },
  llama3: {
    architecture: "llama",
    pre: "llama-bpe",
    vocabSize: 128_256,
    bos: "<|begin_of_text|>",
    eos: ["<|end_of_text|>", "<|eot_id|>"],
    pad: "<|end_of_text|>",
    addBos: true,
  },
} as const satisfies Record<string, FamilyTokenizer>;
export type Family = keyof typeof FAMILIES;

/** Small enough that a 150k-row embedding stays ~19 MB, with the head size llama.cpp's CPU kernels take. */
export const FAMILY_SHAPE: TinyLlamaShape = {
  embedding: 32,
  layers: 2,
  heads: 2,
  kvHeads: 1,
  feedForward: 64,
  contextLength: 2048,
};

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

// GGUF token types, as llama.cpp's gguf-py names them
const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;
const UNUSED = 5;

/**
 * A tiny base of `family` from the folder holding its tokenizer.json and tokenizer_config.json. The
 * output head is tied to the embedding, as in Qwen3's small models; weights are seeded.
 */
export function tinyFamilyBase(params: { family: Family; tokenizerFolder: string; seed?: number }) {
  const family: FamilyTokenizer = FAMILIES[params.family];
  const tokenizerJsonBytes = readFileSync(join(params.tokenizerFolder, "tokenizer.json"));
  const configBytes = readFileSync(join(params.tokenizerFolder, "tokenizer_config.json"));
  const tokenizer = JSON.parse(tokenizerJsonBytes.toString("utf8")) as {
    model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
    added_tokens: AddedToken[];
  };
  const config = JSON.parse(configBytes.toString("utf8")) as { chat_template: string };

  const tokens: string[] = Array.from({ length: family.vocabSize }, (_, id) => `[PAD${id}]`);
  const types: number[] = new Array<number>(family.vocabSize).fill(UNUSED);
  for (const [text, id] of Object.entries(tokenizer.model.vocab)) [tokens[id], types[id]] = [text, NORMAL];
  for (const added of tokenizer.added_tokens) {
    tokens[added.id] = added.content;
    types[added.id] = added.special || looksSpecial(added.content) ? CONTROL : USER_DEFINED;
  }
  const id = (text: string) => {
    const found = tokenizer.added_tokens.find((t) => t.content === text);
    if (!found) throw new Error(`${params.family}'s tokenizer has no token ${text}`);
    return found.id;
  };

  const weights = tinyWeights({
    architecture: family.architecture,
    shape: FAMILY_SHAPE,
    vocabulary: family.vocabSize,
    seed: params.seed,
    tied: true,
  });
  const name = `loragate tiny ${params.family}`;
  return {
    hf: {
      ...huggingFaceModel({
        architecture: family.architecture,
        shape: FAMILY_SHAPE,
        tensors: weights.hf,
        vocabulary: family.vocabSize,
        bos: id(family.bos),
        eos: family.eos.map(id),
        pad: id(family.pad),
        tied: true,
      }),
      "tokenizer.json": tokenizerJsonBytes,
      "tokenizer_config.json": configBytes,
    },
    gguf: writeGguf(
      {
        ...architectureMetadata(family.architecture, FAMILY_SHAPE, family.vocabSize, name),
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": family.pre,
        "tokenizer.ggml.tokens": { strings: tokens },
        "tokenizer.ggml.token_type": { i32s: types },
        "tokenizer.ggml.merges": {
          strings: tokenizer.model.merges.map((m) => (typeof m === "string" ? m : m.join(" "))),
        },
        "tokenizer.ggml.bos_token_id": { u32: id(family.bos) },
        "tokenizer.ggml.eos_token_id": { u32: id(family.eos[0]!) },
        "tokenizer.ggml.padding_token_id": { u32: id(family.pad) },
        "tokenizer.ggml.add_bos_token": family.addBos,
        "tokenizer.chat_template": config.chat_template,
      },
      weights.gguf,
    ),
  };
}

/** convert_hf_to_gguf.py's does_token_look_special: added tokens it makes control tokens though not special. */
function looksSpecial(text: string): boolean {
  return (
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(text) ||
    (text.startsWith("<|") && text.endsWith("|>")) ||
    (text.startsWith("<｜") && text.endsWith("｜>")) ||
    (text.startsWith("<unused") && text.endsWith(">"))
  );
}
