/**
 * One prompt, both sides: for every form a dataset may take, the token ids a training example's answer
 * is trained after (runners/trainer/train.py, with transformers) are the ids the harness asks the same
 * question with (llama.cpp), on llama-, qwen2- and qwen3-style chat templates, whose quirks differ:
 * Llama 3 trims turns, Qwen2 adds a default system turn, Qwen3 opens the answer with a think block.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { benchmarkMessages } from "../src/core/evaluation/prompt.ts";
import { BenchmarkItemSchema } from "../src/core/schemas/records.ts";
import { EvaluationHarness } from "../src/eval/harness.ts";
import { type ChatStyle, tinyBase, type TinyArchitecture } from "../src/gguf/tiny-base.ts";
import { describeWithTrainer, TRAINER_PYTHON } from "./support/trainer.ts";
import { scaled } from "./support/load.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-prompt-parity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const system = "You answer with the name of a fruit.";
/** Each training record, and the benchmark item that asks its last question. */
const FORMS: { form: string; train: object; item: object }[] = [
  {
    form: "instruction and input with white space around them",
    train: { instruction: "Name the fruit for this color.\n", input: " red\n", output: "apple" },
    item: {
      id: "w",
      instruction: "Name the fruit for this color.\n",
      input: " red\n",
      expected_output: "apple",
    },
  },
  {
    form: "instruction alone (empty input) with tabs and a trailing blank line",
    train: { instruction: "\tName a yellow fruit.\n\n", input: "  ", output: "banana" },
    item: { id: "i", instruction: "Name a yellow fruit.", input: "", expected_output: "banana" },
  },
  {
    form: "chat with a system turn",
    train: {
      messages: [
        { role: "system", content: system },
        { role: "user", content: "Which fruit is red?" },
        { role: "assistant", content: "apple" },
      ],
    },
    item: {
      id: "s",
      messages: [{ role: "system", content: `${system}\n` }],
      instruction: "Which fruit is red?",
      input: "",
      expected_output: "apple",
    },
  },
  {
    form: "multi-turn chat (ShareGPT), answered at the last user turn",
    train: {
      conversations: [
        { from: "system", value: system },
        { from: "human", value: "Which fruit is red?" },
        { from: "gpt", value: "apple" },
        { from: "human", value: " And which one is yellow? " },
        { from: "gpt", value: "banana" },
      ],
    },
    item: {
      id: "m",
      messages: [
        { role: "system", content: system },
        { role: "user", content: "Which fruit is red?" },
        { role: "assistant", content: "apple" },
      ],
      instruction: "And which one is yellow?",
      input: "",
      expected_output: "banana",
    },
  },
];

const STYLES: [TinyArchitecture, ChatStyle][] = [
  ["llama", "llama3"],
  ["qwen2", "qwen2"],
  ["qwen3", "qwen3"],
];

describeWithTrainer(
  "one prompt for training and evaluation (train.py with transformers vs the harness)",
  { timeout: scaled(120_000) },
  () => {
    const corpus = ["Name the fruit for this color. Which fruit is red? apple banana", system];
    let trainer: Record<string, { trained_after: number[]; prompt: number[] }[]>;
    beforeAll(() => {
      for (const [architecture, style] of STYLES) {
        const base = tinyBase({ architecture, corpus, chatStyle: style, merges: 200 });
        mkdirSync(join(dir, style), { recursive: true });
        for (const [file, bytes] of Object.entries(base.hf)) writeFileSync(join(dir, style, file), bytes);
        writeFileSync(join(dir, `${style}.gguf`), base.gguf);
      }
      const records = join(dir, "records.json");
      writeFileSync(records, JSON.stringify(FORMS.map((f) => f.train)));
      // one Python process for every style: importing transformers is most of its time
      trainer = JSON.parse(
        execFileSync(
          TRAINER_PYTHON,
          [
            join(import.meta.dirname, "support", "prompt_ids.py"),
            records,
            ...STYLES.map(([, s]) => join(dir, s)),
          ],
          { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
        ),
      );
    });

    it.each(STYLES)(
      "%s with a %s-style chat template: the same token ids for every form",
      async (_, style) => {
        const trained = trainer[join(dir, style)]!;
        const harness = await EvaluationHarness.open({ basePath: join(dir, `${style}.gguf`) });
        try {
          for (const [i, { form, item }] of FORMS.entries()) {
            // the answer is trained right after the very prompt the trainer would ask it with
            expect(trained[i]!.trained_after, form).toEqual(trained[i]!.prompt);
            const asked = benchmarkMessages(BenchmarkItemSchema.parse(item), false);
            expect(harness.renderChat(asked).tokens, `${style}: ${form}`).toEqual(trained[i]!.prompt);
          }
        } finally {
          await harness.dispose();
        }
      },
    );
  },
);

it("a benchmark item's earlier turns must end before the question: a system turn, then user and assistant pairs", () => {
  const item = { id: "x", instruction: "q", input: "", expected_output: "a" };
  expect(
    BenchmarkItemSchema.safeParse({ ...item, messages: [{ role: "user", content: "hi" }] }).success,
  ).toBe(false);
  expect(
    BenchmarkItemSchema.safeParse({
      ...item,
      messages: [
        { role: "assistant", content: "hi" },
        { role: "user", content: "q" },
      ],
    }).success,
  ).toBe(false);
  expect(BenchmarkItemSchema.safeParse({ ...item, messages: [{ role: "tool", content: "x" }] }).success).toBe(
    false,
  );
  expect(
    BenchmarkItemSchema.safeParse({
      ...item,
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "u" },
        { role: "assistant", content: "a" },
      ],
    }).success,
  ).toBe(true);
});
