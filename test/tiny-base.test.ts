/**
 * One tiny base in two formats, and the promise that training and evaluation see the same model: for
 * llama, qwen2 and qwen3 shapes, the harness (llama.cpp) frames a prompt into the very token ids the
 * trainer (transformers) builds, and base + LoRA next-token probabilities agree with transformers +
 * PEFT within 1e-4 after the project's PEFT-to-GGUF conversion (q/k permutation, rsLoRA alpha,
 * dropout off). The Hugging Face side runs in the trainer's Python (test/support/hf_reference.py).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BYTE_CHARS, learnByteBpe } from "../src/gguf/byte-bpe.ts";
import { peftToGguf } from "../src/gguf/peft-to-gguf.ts";
import { readSafetensors } from "../src/gguf/safetensors.ts";
import { TINY_ARCHITECTURES, tinyBase } from "../src/gguf/tiny-base.ts";
import { TINY_SHAPE } from "../src/gguf/tiny-llama.ts";
import { EvaluationHarness } from "../src/eval/harness.ts";
import { startPythonJobs } from "./support/python-jobs.ts";
import { describeWithTrainer, TRAINER_PYTHON } from "./support/trainer.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-tiny-base-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const corpus = [
  "Look up the price in the shop's list and give the number.",
  "How much is one lamp? The answer is 47.",
  "Tell me the cost of a kite, please. Ünïcödé, 漢字 and emoji 🙂 too.",
];
const prompts = [
  "How much is one lamp?",
  "Look up the price in the shop's list and give the number.\n\nWhat do I owe for one kite?",
  "Ünïcödé 漢字 🙂 and <|im_end|> written by a user",
  "  leading spaces, tabs\tand\n\nnewlines  ",
];

describe("the tiny base's tokenizer", () => {
  it("learns merges from the corpus, deterministically, one id per token text", () => {
    const bpe = learnByteBpe(corpus, 200, ["<|im_end|>"]);
    expect(learnByteBpe(corpus, 200, ["<|im_end|>"])).toEqual(bpe);
    expect(bpe.tokens.slice(0, 256)).toEqual(BYTE_CHARS);
    expect(new Set(bpe.tokens).size).toBe(bpe.tokens.length);
    expect(bpe.tokens).toContain("Ġthe"); // " the" in GPT-2's byte alphabet
    expect(bpe.special["<|im_end|>"]).toBe(bpe.tokens.length - 1);
  });

  it("writes the same weights under both formats' names (float32, seeded)", () => {
    const a = tinyBase({ architecture: "qwen3", corpus });
    expect(tinyBase({ architecture: "qwen3", corpus }).gguf.equals(a.gguf)).toBe(true);
    const hf = readSafetensors(a.hf["model.safetensors"]!);
    expect(hf.get("model.layers.1.self_attn.k_norm.weight")!.shape).toEqual([TINY_SHAPE.embedding / 4]);
    const config = JSON.parse(a.hf["config.json"]!.toString());
    expect(config).toMatchObject({ model_type: "qwen3", num_key_value_heads: 2, tie_word_embeddings: false });
  });
});

describeWithTrainer("the same model for the trainer and the harness (transformers vs llama.cpp)", () => {
  // one Python process for the three architectures: importing torch, transformers and PEFT is most of its time
  let reference: ReturnType<typeof startPythonJobs>;
  beforeAll(() => {
    reference = startPythonJobs(TRAINER_PYTHON, join(import.meta.dirname, "support", "hf_reference.py"));
  });
  afterAll(() => reference?.close());

  it.each(TINY_ARCHITECTURES.map((a, i) => [a, i === 1] as const))(
    "%s: the same prompt token ids, and base + LoRA probabilities within 1e-4 (rsLoRA: %s)",
    async (architecture, rslora) => {
      const base = tinyBase({ architecture, corpus, seed: 31 });
      const folder = join(dir, architecture);
      mkdirSync(folder, { recursive: true });
      for (const [file, bytes] of Object.entries(base.hf)) writeFileSync(join(folder, file), bytes);
      writeFileSync(join(dir, `${architecture}.gguf`), base.gguf);
      const promptsFile = join(dir, `${architecture}-prompts.json`);
      writeFileSync(promptsFile, JSON.stringify(prompts));
      const answers = await reference.ask<{ ids: number[]; probabilities: number[] }[]>(
        JSON.stringify([folder, folder, promptsFile, ...(rslora ? ["--rslora"] : [])]),
      );

      const adapter = join(folder, "adapter");
      const loraPath = join(dir, `${architecture}-lora.gguf`);
      writeFileSync(
        loraPath,
        peftToGguf({
          config: JSON.parse(readFileSync(join(adapter, "adapter_config.json"), "utf8")),
          tensors: readSafetensors(readFileSync(join(adapter, "adapter_model.safetensors"))),
          base: { architecture, heads: TINY_SHAPE.heads, kvHeads: TINY_SHAPE.kvHeads },
        }),
      );
      const harness = await EvaluationHarness.open({ basePath: join(dir, `${architecture}.gguf`) });
      try {
        for (const [i, prompt] of prompts.entries()) {
          expect(harness.renderChat(prompt).tokens, `prompt ${i + 1}`).toEqual(answers[i]!.ids);
          const llama = await harness.nextTokenProbabilities(prompt, loraPath);
          const worst = Math.max(
            ...answers[i]!.probabilities.map((p, token) => Math.abs(p - (llama.get(token as Token) ?? 0))),
          );
          expect(worst, `prompt ${i + 1}`).toBeLessThan(1e-4);
          // the LoRA matters: without it the distribution is another one
          const plain = await harness.nextTokenProbabilities(prompt);
          const moved = Math.max(
            ...answers[i]!.probabilities.map((p, token) => Math.abs(p - (plain.get(token as Token) ?? 0))),
          );
          expect(moved).toBeGreaterThan(1e-2);
        }
      } finally {
        await harness.dispose();
      }
    },
    120_000,
  );
});
