/**
 * The training half of the GPU action, also used by the demo and by the script that regenerates the
 * committed fixture adapters: write recipe.json from a validated adapter.yaml, run the trainer
 * (runners/trainer/train.py, in its own Python environment) on the data file, and convert its PEFT
 * output to the LoRA GGUF that llama.cpp loads. Nothing of the pull request is executed.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONVERTIBLE_ARCHITECTURES, type BaseShape, peftToGguf } from "../gguf/peft-to-gguf.ts";
import { readSafetensors } from "../gguf/safetensors.ts";
import type { AdapterManifest } from "../core/schemas/adapter.ts";
import type { Results } from "../core/schemas/results.ts";
import { trainingRecipe } from "../core/schemas/training-recipe.ts";
import type { ChatMessage } from "../core/evaluation/prompt.ts";
import type { Thinking } from "../core/schemas/registry.ts";
import type { ModelSample } from "./model-sample.ts";

/** The trainer of a loragate checkout (or the action's folder tree) at `root`. */
export const trainerScript = (root: string) => join(root, "runners", "trainer", "train.py");

/** The trainer's Python in a checkout: $LORAGATE_TRAINER_PYTHON, else the one `npm run trainer:setup` made. */
export const checkoutTrainerPython = (root: string) =>
  process.env.LORAGATE_TRAINER_PYTHON ?? join(root, ".venv-trainer", "bin", "python");

/** A failure the app can show as is: what went wrong and what to do. */
export class ActionFailure extends Error {}

/** How long a cancelled trainer gets to exit by itself (the runner's own grace is 7.5 s). */
const TRAINER_GRACE_MS = 5000;

/** train.py's documented exit codes. */
const TRAINER_EXIT: Record<number, string> = {
  2: "the trainer refused the recipe or the data",
  3: "the training loss diverged (NaN or infinite)",
  4: "training ran out of GPU memory",
  5: "the trainer was stopped (SIGTERM/SIGINT)",
  6: "the runner's training base does not load",
  7: "the training base and the evaluation's GGUF are not the same model (their tokenizers or their next-token probabilities disagree)",
};

/** A prompt as the harness frames it, by which train.py checks its own tokenizer (exit 7 when they differ). */
export interface PromptIds {
  label: string;
  messages: ChatMessage[];
  ids: number[];
}

export interface TrainedAdapter {
  /** The LoRA GGUF. */
  gguf: Buffer;
  /** The trainer's output folder: PEFT's files, loss.jsonl, summary.json. */
  folder: string;
  training: Results["training"];
}

export async function trainAdapter(params: {
  /** argv of the trainer; `--recipe FILE` is appended. */
  trainer: string[];
  manifest: AdapterManifest;
  /** The Hugging Face folder of the pinned training base. */
  trainingBase: string;
  dataset: string;
  workDir: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Prompts with the token ids the evaluation asks them with: the trainer refuses to start on others. */
  promptCheck?: readonly PromptIds[];
  /** registry.yaml base.thinking: the template renders every example with it, as the harness asks. */
  thinking?: Pick<Thinking, "enabled">;
  /** The GGUF's next-token probabilities: the trainer refuses a training base that predicts others. */
  modelCheck?: ModelSample;
}): Promise<TrainedAdapter> {
  const { manifest, log } = params;
  const baseShape = readBaseShape(params.trainingBase);
  const folder = join(params.workDir, "trained");
  const recipe = trainingRecipe(
    manifest,
    { baseModel: params.trainingBase, dataset: params.dataset, outputDir: folder },
    false,
    params.thinking,
  );
  const recipePath = join(params.workDir, "recipe.json");
  writeFileSync(recipePath, `${JSON.stringify(recipe, null, 2)}\n`);
  log(`training ${manifest.name}: r ${recipe.r}, ${recipe.epochs} epochs, batch ${recipe.batch_size}`);
  const check = join(params.workDir, "prompt-ids.json");
  if (params.promptCheck) writeFileSync(check, JSON.stringify(params.promptCheck));
  const modelCheck = join(params.workDir, "model-sample.json");
  if (params.modelCheck) writeFileSync(modelCheck, JSON.stringify(params.modelCheck));
  const argv = [
    ...params.trainer,
    "--recipe",
    recipePath,
    ...(params.promptCheck ? ["--check-prompts", check] : []),
    ...(params.modelCheck ? ["--check-model", modelCheck] : []),
  ];
  await runTrainer(argv, log, params.signal);
  return {
    gguf: convertTrained(folder, baseShape, `${manifest.name} ${manifest.version}`),
    folder,
    training: readTraining(folder),
  };
}

/** The trainer's PEFT output as a LoRA GGUF; what the trainer left that does not convert is a failure. */
function convertTrained(folder: string, base: BaseShape, name: string): Buffer {
  try {
    return peftToGguf({
      config: JSON.parse(readFileSync(join(folder, "adapter_config.json"), "utf8")),
      tensors: readSafetensors(readFileSync(join(folder, "adapter_model.safetensors"))),
      base,
      name,
    });
  } catch (error) {
    throw new ActionFailure(`the trained adapter does not convert to GGUF: ${(error as Error).message}`);
  }
}

/** Architecture and heads from the training base's config.json (the q/k permutation needs them). */
function readBaseShape(folder: string): BaseShape {
  const file = join(folder, "config.json");
  if (!existsSync(file))
    throw new ActionFailure(`the training base is not in the runner's model cache: ${file}`);
  const config = JSON.parse(readFileSync(file, "utf8")) as {
    model_type?: string;
    num_attention_heads?: number;
    num_key_value_heads?: number;
  };
  const architecture = CONVERTIBLE_ARCHITECTURES.find((a) => a === config.model_type);
  if (!architecture || !config.num_attention_heads)
    throw new ActionFailure(
      `the base's model_type ${String(config.model_type)} is not one of ${CONVERTIBLE_ARCHITECTURES.join(", ")}`,
    );
  return {
    architecture,
    heads: config.num_attention_heads,
    kvHeads: config.num_key_value_heads ?? config.num_attention_heads,
  };
}

/** The trainer's loss log and wall time, for the scorecard's loss curve. */
function readTraining(folder: string): Results["training"] {
  const lossFile = join(folder, "loss.jsonl");
  if (!existsSync(lossFile)) return undefined;
  const loss = readFileSync(lossFile, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { step: number; loss: number });
  const summaryFile = join(folder, "summary.json");
  const summary = existsSync(summaryFile)
    ? (JSON.parse(readFileSync(summaryFile, "utf8")) as { wall_seconds?: number })
    : {};
  return { wall_seconds: summary.wall_seconds ?? 0, loss };
}

/**
 * Runs the trainer without a shell; its last stderr lines explain a failure. Cancelling stops it
 * (SIGTERM, then SIGKILL if it lingers) so that no orphan keeps the GPU.
 */
function runTrainer(argv: string[], log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const stop = () => {
      child.kill("SIGTERM");
      setTimeout(
        () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"),
        TRAINER_GRACE_MS,
      ).unref();
    };
    signal?.addEventListener("abort", stop, { once: true });
    const tail: string[] = [];
    child.stdout.on("data", (chunk: Buffer) => log(chunk.toString().trimEnd()));
    child.stderr.on("data", (chunk: Buffer) => {
      tail.push(...chunk.toString().split("\n").filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
    });
    child.on("error", (error) =>
      reject(new ActionFailure(`cannot start the trainer (${argv[0]}): ${error.message}`)),
    );
    child.on("close", (code, killedBy) => {
      signal?.removeEventListener("abort", stop);
      if (signal?.aborted) return reject(signal.reason);
      if (code === 0) return resolve();
      const what = killedBy
        ? `the trainer was killed (${killedBy})`
        : (TRAINER_EXIT[code ?? -1] ?? `the trainer failed (exit ${code})`);
      reject(new ActionFailure(`${what}:\n${tail.slice(-8).join("\n")}`));
    });
  });
}
