/**
 * recipe.json: what the runner's trainer (runners/trainer/train.py) trains, taken from a validated
 * adapter.yaml. Validation already refused values outside the registry's limits, so the recipe is
 * exactly the declared one: same batch size and step count, so results compare across runs.
 */
import { z } from "zod";
import type { AdapterManifest } from "./adapter.ts";
import type { Thinking } from "./registry.ts";

export const TrainingRecipeSchema = z
  .object({
    base_model: z
      .string()
      .min(1)
      .describe("Folder of the pinned Hugging Face base (config.json, safetensors)."),
    dataset: z.string().min(1).describe("The adapter's training JSONL, as fetched at the PR's head sha."),
    output_dir: z
      .string()
      .min(1)
      .describe("Where the trainer writes the PEFT adapter, loss.jsonl, summary.json."),
    r: z.number().int().min(1).describe("LoRA rank."),
    alpha: z.number().positive().describe("LoRA alpha."),
    dropout: z.number().min(0).max(0.9).describe("LoRA dropout."),
    target_modules: z.array(z.string()).min(1).describe("Projection modules with a LoRA pair."),
    epochs: z.number().int().min(1).describe("Passes over the data."),
    learning_rate: z.number().positive().describe("AdamW learning rate."),
    batch_size: z.number().int().min(1).describe("Examples per optimizer step."),
    max_seq_length: z.number().int().min(16).describe("Tokens per example after truncation."),
    seed: z.number().int().min(0).describe("Seed of shuffling and LoRA initialization."),
    quantize_4bit: z.boolean().describe("QLoRA: load the base in 4-bit NF4 (needs bitsandbytes)."),
    chat_template_kwargs: z
      .object({ enable_thinking: z.boolean() })
      .strict()
      .describe(
        "The chat template's variables the registry sets (base.thinking), as the harness renders them.",
      ),
  })
  .strict()
  .describe("recipe.json, the trainer's input.");

export type TrainingRecipe = z.infer<typeof TrainingRecipeSchema>;

export function trainingRecipe(
  manifest: AdapterManifest,
  paths: { baseModel: string; dataset: string; outputDir: string },
  quantize4bit: boolean,
  thinking: Pick<Thinking, "enabled"> = { enabled: false },
): TrainingRecipe {
  return TrainingRecipeSchema.parse({
    base_model: paths.baseModel,
    dataset: paths.dataset,
    output_dir: paths.outputDir,
    r: manifest.lora.r,
    alpha: manifest.lora.alpha,
    dropout: manifest.lora.dropout,
    target_modules: manifest.lora.target_modules,
    epochs: manifest.training.epochs,
    learning_rate: manifest.training.learning_rate,
    batch_size: manifest.training.batch_size,
    max_seq_length: manifest.training.max_seq_length,
    seed: manifest.training.seed,
    quantize_4bit: quantize4bit,
    chat_template_kwargs: { enable_thinking: thinking.enabled },
  });
}
