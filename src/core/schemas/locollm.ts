import { z } from "zod";

/** LocoLLM's adapters/registry.yaml, as its repository keeps it; unknown keys pass through to `extra`. */
const LocoTrainingSchema = z.looseObject({
  base_model: z.string().optional(),
  method: z.string().optional(),
  lora_r: z.number().int().optional(),
  lora_alpha: z.number().optional(),
  lora_dropout: z.number().optional(),
  target_modules: z.array(z.string()).optional(),
  epochs: z.number().int().optional(),
  learning_rate: z.number().optional(),
  batch_size: z.number().int().optional(),
  max_seq_length: z.number().int().optional(),
  dataset: z.string().optional(),
  quantization: z.string().optional(),
});
const LocoAdapterSchema = z.looseObject({
  // Anything: a version that is no version (a map, a list) is one adapter's TODO, not a failed import.
  version: z.unknown().optional(),
  type: z.string().optional(),
  gguf_path: z.string().optional(),
  description: z.string().optional(),
  authors: z.union([z.string(), z.array(z.string())]).optional(),
  tags: z.array(z.string()).optional(),
  eval_dataset: z.string().optional(),
  eval_type: z.string().optional(),
  router_keywords: z.array(z.string()).optional(),
  training: LocoTrainingSchema.optional(),
});
export const LocoRegistrySchema = z.looseObject({
  base_model: z.looseObject({
    name: z.string(),
    quantization: z.string().optional(),
    ollama_name: z.string().optional(),
  }),
  adapters: z.union([
    z.record(z.string(), LocoAdapterSchema),
    z.array(z.looseObject({ name: z.string() }).and(LocoAdapterSchema)),
  ]),
});
export type LocoAdapter = z.infer<typeof LocoAdapterSchema>;
export type LocoRegistry = z.infer<typeof LocoRegistrySchema>;
