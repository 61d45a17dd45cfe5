/**
 * Every benchmark prompt of an evaluation with the token ids the harness will ask it with (the GGUF's
 * tokenizer and chat template): train.py frames the same prompts with the training base's tokenizer
 * before it trains, refuses a base pair that is not one model (most prompts differ), and names the items
 * that the two tokenizers split differently. Only the GGUF's vocabulary is loaded, not its weights.
 */
import { benchmarkMessages } from "../core/evaluation/prompt.ts";
import type { BenchmarkItem } from "../core/schemas/records.ts";
import type { Thinking } from "../core/schemas/registry.ts";
import { EvaluationHarness } from "../eval/harness.ts";
import type { PromptIds } from "./train-adapter.ts";

export interface PromptedBenchmark {
  /** How its items are named in the trainer's messages; a hidden benchmark's label, never its path. */
  label: string;
  items: readonly BenchmarkItem[];
  /** Items named by line number, not by id: nothing of a hidden benchmark's text leaves the runner. */
  hidden?: boolean;
}

export async function promptSample(params: {
  basePath: string;
  benchmarks: readonly PromptedBenchmark[];
  thinking: Pick<Thinking, "enabled">;
}): Promise<PromptIds[]> {
  const harness = await EvaluationHarness.open({ basePath: params.basePath, gpu: false, vocabOnly: true });
  try {
    return params.benchmarks.flatMap((benchmark) =>
      benchmark.items.map((item, i) => {
        const messages = benchmarkMessages(item, false);
        return {
          label: `${benchmark.label} ${benchmark.hidden ? `line ${i + 1}` : `item ${item.id}`}`,
          messages,
          ids: [...harness.renderChat(messages, { enableThinking: params.thinking.enabled }).tokens],
        };
      }),
    );
  } finally {
    await harness.dispose();
  }
}
