/**
 * PEFT LoRA output (adapter_config.json + adapter_model.safetensors) to the LoRA GGUF that llama.cpp
 * and Ollama (`ADAPTER`) load: llama.cpp's tensor names, ggml's dimension order, llama's q/k row
 * permutation, and alpha as llama.cpp applies it (scale = alpha / r).
 */
import { z } from "zod";
import type { FloatTensor } from "./safetensors.ts";
import { type GgufTensor, writeGguf } from "./write-gguf.ts";

export const CONVERTIBLE_ARCHITECTURES = ["llama", "qwen2", "qwen3"] as const;

const PeftConfigSchema = z
  .object({
    peft_type: z.literal("LORA", { message: "only LoRA adapters convert (peft_type LORA)" }),
    r: z.number().int().positive(),
    lora_alpha: z.number().positive(),
    use_rslora: z.boolean().optional(),
    use_dora: z.literal(false, { message: "DoRA adapters have no llama.cpp form" }).optional(),
  })
  .loose()
  .describe("The fields of PEFT's adapter_config.json the conversion depends on.");

export interface BaseShape {
  architecture: (typeof CONVERTIBLE_ARCHITECTURES)[number];
  /** num_attention_heads and num_key_value_heads of the base's config.json. */
  heads: number;
  kvHeads: number;
}

class ConversionError extends Error {}

const MODULES: Record<string, string> = {
  q_proj: "attn_q",
  k_proj: "attn_k",
  v_proj: "attn_v",
  o_proj: "attn_output",
  gate_proj: "ffn_gate",
  up_proj: "ffn_up",
  down_proj: "ffn_down",
};

const PEFT_NAME =
  /^(?:base_model\.model\.)?model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])(?:\.default)?\.weight$/;

/**
 * llama.cpp's llama uses interleaved rotary pairs where Hugging Face's checkpoints use halves, so the
 * converter permutes q and k rows per head; for a LoRA only B's rows are outputs, so only B moves.
 */
export function permuteRows(data: Float32Array, rows: number, columns: number, heads: number): Float32Array {
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++)
    for (let j = 0; j < half; j++)
      for (let k = 0; k < 2; k++) {
        const to = h * headDim + j * 2 + k;
        const from = h * headDim + k * half + j;
        out.set(data.subarray(from * columns, (from + 1) * columns), to * columns);
      }
  return out;
}

export function peftToGguf(params: {
  config: unknown;
  tensors: Map<string, FloatTensor>;
  base: BaseShape;
  name?: string;
}): Buffer {
  const parsed = PeftConfigSchema.safeParse(params.config);
  if (!parsed.success)
    throw new ConversionError(
      `adapter_config.json: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  const config = parsed.data;
  if (!CONVERTIBLE_ARCHITECTURES.includes(params.base.architecture))
    throw new ConversionError(
      `architecture ${params.base.architecture} is not one of ${CONVERTIBLE_ARCHITECTURES.join(", ")}`,
    );

  const pairs = new Map<string, { a?: FloatTensor; b?: FloatTensor; module: string; layer: number }>();
  for (const [name, tensor] of params.tensors) {
    const match = PEFT_NAME.exec(name);
    const target = match ? MODULES[match[2]!] : undefined;
    if (!match || !target)
      throw new ConversionError(
        `${name}: not a LoRA tensor of a supported module (${Object.keys(MODULES).join(", ")})`,
      );
    if (tensor.shape.length !== 2)
      throw new ConversionError(`${name}: expected 2 dimensions, got ${tensor.shape.length}`);
    const key = `blk.${match[1]}.${target}.weight`;
    const pair = pairs.get(key) ?? { module: match[2]!, layer: Number(match[1]) };
    pair[match[3] === "A" ? "a" : "b"] = tensor;
    pairs.set(key, pair);
  }
  if (pairs.size === 0) throw new ConversionError("adapter_model.safetensors holds no LoRA tensors");

  const tensors: GgufTensor[] = [];
  const sorted = [...pairs].sort(([, x], [, y]) => x.layer - y.layer || x.module.localeCompare(y.module));
  for (const [key, { a, b, module }] of sorted) {
    if (!a || !b) throw new ConversionError(`${key}: lora_${a ? "B" : "A"} is missing`);
    const [rank, inFeatures] = a.shape as [number, number];
    const [outFeatures, rankB] = b.shape as [number, number];
    if (rank !== rankB) throw new ConversionError(`${key}: lora_A has rank ${rank}, lora_B ${rankB}`);
    let bData = b.data;
    if (params.base.architecture === "llama" && (module === "q_proj" || module === "k_proj")) {
      const heads = module === "q_proj" ? params.base.heads : params.base.kvHeads;
      if (outFeatures % (heads * 2) !== 0)
        throw new ConversionError(`${key}: ${outFeatures} output rows do not split into ${heads} heads`);
      bData = permuteRows(b.data, outFeatures, rank, heads);
    }
    // torch [rows, columns] is ggml ne = [columns, rows]: same bytes, reversed shape
    tensors.push(
      { name: `${key}.lora_a`, shape: [inFeatures, rank], type: "F32", data: a.data },
      { name: `${key}.lora_b`, shape: [rank, outFeatures], type: "F32", data: bData },
    );
  }
  // llama.cpp scales by alpha / r; rsLoRA scales by alpha / sqrt(r), so store alpha * sqrt(r).
  const alpha = config.use_rslora ? config.lora_alpha * Math.sqrt(config.r) : config.lora_alpha;
  return writeGguf(
    {
      "general.architecture": params.base.architecture,
      "general.type": "adapter",
      "general.name": params.name ?? "lora",
      "adapter.type": "lora",
      "adapter.lora.alpha": { f32: alpha },
    },
    tensors,
  );
}
