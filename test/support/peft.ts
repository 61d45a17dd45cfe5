/** What PEFT's save_pretrained writes for a LoRA on a tiny llama, built in TypeScript (no torch in CI). */
import { mulberry32 } from "../../src/core/random.ts";
import { TINY_SHAPE, type TinyLlamaShape } from "../../src/gguf/tiny-llama.ts";
import { type FloatTensor, writeSafetensors } from "../../src/gguf/safetensors.ts";

export function peftOutput(
  options: { shape?: TinyLlamaShape; rank?: number; alpha?: number; seed?: number; rslora?: boolean } = {},
) {
  const shape = options.shape ?? TINY_SHAPE;
  const rank = options.rank ?? 8;
  const random = mulberry32(options.seed ?? 3);
  const n = shape.embedding;
  const kv = (n / shape.heads) * shape.kvHeads;
  const tensors: Record<string, FloatTensor> = {};
  const matrix = (rows: number, columns: number): FloatTensor => ({
    shape: [rows, columns],
    data: Float32Array.from({ length: rows * columns }, () => (random() * 2 - 1) / Math.sqrt(columns)),
  });
  for (let layer = 0; layer < shape.layers; layer++)
    for (const [module, out] of [
      ["q_proj", n],
      ["k_proj", kv],
      ["v_proj", kv],
      ["o_proj", n],
    ] as const) {
      const prefix = `base_model.model.model.layers.${layer}.self_attn.${module}`;
      tensors[`${prefix}.lora_A.weight`] = matrix(rank, n);
      tensors[`${prefix}.lora_B.weight`] = matrix(out, rank);
    }
  const config = {
    peft_type: "LORA",
    r: rank,
    lora_alpha: options.alpha ?? 2 * rank,
    lora_dropout: 0.05,
    target_modules: ["q_proj", "k_proj", "v_proj", "o_proj"],
    use_rslora: options.rslora ?? false,
    use_dora: false,
    task_type: "CAUSAL_LM",
  };
  return { config, tensors, safetensors: writeSafetensors(tensors) };
}
