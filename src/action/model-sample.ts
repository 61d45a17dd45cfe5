/**
 * The GGUF's next-token probabilities after a few of the evaluation's own prompts, for train.py to compare
 * with the training base's (--check-model): a GGUF of other weights with the same tokenizer (another
 * revision, the instruct twin) passes the tokenizer check, and would have adapters trained on one model
 * and scored on another. Loaded on the CPU, so that the GPU stays free for training.
 */
import { benchmarkMessages } from "../core/evaluation/prompt.ts";
import type { BenchmarkItem } from "../core/schemas/records.ts";
import type { Thinking } from "../core/schemas/registry.ts";
import { EvaluationHarness } from "../eval/harness.ts";

/** Prompts compared: enough to see a different model, few enough for a CPU in seconds. */
const PROMPTS = 4;
/** The most probable tokens sent per prompt; the rest of the mass is compared as one. */
const TOP = 64;

export interface ModelSample {
  gguf: string;
  prompts: { label: string; ids: number[]; top: [number, number][] }[];
}

export async function modelSample(params: {
  basePath: string;
  label: string;
  items: readonly BenchmarkItem[];
  thinking: Pick<Thinking, "enabled">;
}): Promise<ModelSample> {
  const harness = await EvaluationHarness.open({ basePath: params.basePath, gpu: false });
  try {
    const prompts = [];
    for (const item of params.items.slice(0, PROMPTS)) {
      const messages = benchmarkMessages(item, false);
      const ids = [...harness.renderChat(messages, { enableThinking: params.thinking.enabled }).tokens];
      const probabilities = await harness.nextTokenProbabilities(
        messages,
        undefined,
        params.thinking.enabled,
      );
      const top = [...probabilities.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP)
        .map(([token, p]): [number, number] => [token, p]);
      prompts.push({ label: `${params.label} item ${item.id}`, ids, top });
    }
    return { gguf: params.basePath, prompts };
  } finally {
    await harness.dispose();
  }
}
