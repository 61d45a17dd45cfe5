/**
 * Stands in for runners/trainer/train.py where there is no GPU and no torch (CI): reads recipe.json as
 * the real trainer does and writes what PEFT would (a LoRA for the tiny llama), a loss log and a
 * summary; FAKE_TRAINER_MODE=oom|nan|kill makes it fail the way the real one can, dora leaves
 * an adapter that has no GGUF form, and hang trains until stopped (its pid in <output_dir>.pid;
 * hang-stubborn also ignores SIGTERM, as a process stuck in a GPU call can).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TrainingRecipeSchema } from "../../src/core/schemas/training-recipe.ts";
import { peftOutput } from "./peft.ts";

const argument = (flag: string) => process.argv[process.argv.indexOf(flag) + 1]!;
const recipe = TrainingRecipeSchema.parse(JSON.parse(readFileSync(argument("--recipe"), "utf8")));
// the action hands over its prompt sample, as it does to train.py (which checks its tokenizer by it)
JSON.parse(readFileSync(argument("--check-prompts"), "utf8"));
const mode = process.env.FAKE_TRAINER_MODE ?? "ok";
if (mode === "oom") {
  process.stderr.write("loragate trainer: out of GPU memory. Lower training.batch_size\n");
  process.exit(4);
}
if (mode === "nan") {
  process.stderr.write("loragate trainer: the loss diverged: loss is nan at step 12\n");
  process.exit(3);
}
if (mode === "kill") process.kill(process.pid, "SIGKILL");
if (mode.startsWith("hang")) {
  if (mode === "hang-stubborn") process.on("SIGTERM", () => {});
  writeFileSync(`${recipe.output_dir}.pid`, String(process.pid));
  setInterval(() => {}, 1000);
}

if (!mode.startsWith("hang")) finishTraining();

function finishTraining(): void {
  const examples = readFileSync(recipe.dataset, "utf8").trim().split("\n").length;
  const steps = Math.ceil(examples / recipe.batch_size) * recipe.epochs;
  // another seed, another LoRA, as with the real trainer
  const peft = peftOutput({
    rank: recipe.r,
    alpha: recipe.alpha,
    seed: recipe.seed === 42 ? undefined : recipe.seed,
  });
  mkdirSync(recipe.output_dir, { recursive: true });
  writeFileSync(join(recipe.output_dir, "adapter_model.safetensors"), peft.safetensors);
  writeFileSync(
    join(recipe.output_dir, "adapter_config.json"),
    JSON.stringify({ ...peft.config, use_dora: mode === "dora" }),
  );
  writeFileSync(
    join(recipe.output_dir, "loss.jsonl"),
    Array.from({ length: steps }, (_, step) =>
      JSON.stringify({ step, loss: 2 * Math.exp(-step / 100) + 0.3 }),
    ).join("\n"),
  );
  writeFileSync(join(recipe.output_dir, "summary.json"), JSON.stringify({ steps, wall_seconds: 1.5 }));
}
