/**
 * A sample of the adapter's own prompts with the token ids the evaluation will ask them with (the
 * GGUF's tokenizer and chat template, through the harness): train.py frames the same prompts with the
 * training base's tokenizer and refuses to start when the ids differ, so a base pair that is not one
 * model is refused before any GPU time, not found out by a failed bar.
 */
import { benchmarkMessages } from "../core/evaluation/prompt.ts";
import type { BenchmarkItem } from "../core/schemas/records.ts";
import { EvaluationHarness } from "../eval/harness.ts";
import type { PromptIds } from "./train-adapter.ts";

/** Enough prompts to meet the vocabulary's common merges, few enough to render in a moment. */
const SAMPLE = 16;

export async function promptSample(params: {
  basePath: string;
  items: readonly BenchmarkItem[];
  file: string;
  gpu?: false | "auto";
}): Promise<PromptIds[]> {
  const harness = await EvaluationHarness.open({ basePath: params.basePath, gpu: params.gpu ?? "auto" });
  try {
    return params.items.slice(0, SAMPLE).map((item) => {
      const messages = benchmarkMessages(item, false);
      return {
        label: `${params.file} item ${item.id}`,
        messages,
        ids: [...harness.renderChat(messages).tokens],
      };
    });
  } finally {
    await harness.dispose();
  }
}
