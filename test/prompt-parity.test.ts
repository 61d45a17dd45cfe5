/**
 * One prompt, both sides: for every form a dataset may take, the token ids a training example's answer
 * is trained after (runners/trainer/train.py, with transformers) are the ids the harness asks the same
 * question with (llama.cpp), on llama-, qwen2- and qwen3-style chat templates, whose quirks differ:
 * Llama 3 trims turns, Qwen2 adds a default system turn, Qwen3 opens the answer with a think block; and
 * on the real families' own tokenizer files and chat templates (Qwen3, thinking off and on; Llama 3),
 * where NFC normalization and text that spells a special token also differ between the two tokenizers.
 * Every assistant turn of a conversation is trained on, and nothing the template writes after its
 * end-of-turn token.
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
import { THREE_TURNS, writeFamilyBase } from "./support/families.ts";
import { scaled } from "./support/load.ts";
import { describeWithTrainer, TRAINER_PYTHON } from "./support/trainer.ts";

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
  {
    form: "three turns: every answer trained on",
    train: { messages: THREE_TURNS },
    item: {
      id: "t",
      messages: THREE_TURNS.slice(0, 4),
      instruction: THREE_TURNS[4]!.content,
      input: "",
      expected_output: THREE_TURNS[5]!.content,
    },
  },
  {
    form: "decomposed accents (NFD), composed on both sides",
    train: { instruction: "Name the drink at the cafe\u0301.", input: "", output: "cafe\u0301 au lait" },
    item: {
      id: "n",
      instruction: "Name the drink at the cafe\u0301.",
      input: "",
      expected_output: "café au lait",
    },
  },
  {
    form: "text that spells a special token of another family (</s>)",
    train: { instruction: "Close the tag: <s>fruit</s> and <|im_end|>", input: "", output: "done" },
    item: {
      id: "e",
      instruction: "Close the tag: <s>fruit</s> and <|im_end|>",
      input: "",
      expected_output: "done",
    },
  },
];
const THREE_TURN_FORM = FORMS.findIndex((f) => f.form.startsWith("three turns"));

interface Base {
  label: string;
  hf: string;
  gguf: string;
  enableThinking?: boolean;
  /** What each answer is trained on: the answer and the end-of-turn token after it. */
  trainedOn: (answer: string, last: boolean) => string;
}

const FAKE_STYLES: [TinyArchitecture, ChatStyle, string][] = [
  ["llama", "llama3", "<|eot_id|>"],
  ["qwen2", "qwen2", "<|im_end|>"],
  ["qwen3", "qwen3", "<|im_end|>"],
];

describeWithTrainer(
  "one prompt for training and evaluation (train.py with transformers vs the harness)",
  { timeout: scaled(120_000) },
  () => {
    const corpus = ["Name the fruit for this color. Which fruit is red? apple banana", system];
    const bases: Base[] = [];
    let trainer: Record<string, { trained_after: number[]; prompt: number[]; trained_on: string[] }[]>;
    beforeAll(() => {
      for (const [architecture, style, end] of FAKE_STYLES) {
        const base = tinyBase({ architecture, corpus, chatStyle: style, merges: 200 });
        mkdirSync(join(dir, style), { recursive: true });
        for (const [file, bytes] of Object.entries(base.hf)) writeFileSync(join(dir, style, file), bytes);
        writeFileSync(join(dir, `${style}.gguf`), base.gguf);
        bases.push({
          label: `${style}-style template (learned tokenizer)`,
          hf: join(dir, style),
          gguf: join(dir, `${style}.gguf`),
          trainedOn: (answer) => `${answer}${end}`,
        });
      }
      const qwen3 = writeFamilyBase("qwen3", dir);
      const llama3 = writeFamilyBase("llama3", dir);
      bases.push(
        {
          label: "Qwen3 (real tokenizer), thinking off",
          ...qwen3,
          enableThinking: false,
          trainedOn: (a) => `${a}<|im_end|>`,
        },
        {
          label: "Qwen3 (real tokenizer), thinking on",
          ...qwen3,
          enableThinking: true,
          // asked without the think block, the model writes it: the last answer is trained with it
          trainedOn: (a, last) => `${last ? "<think>\n\n</think>\n\n" : ""}${a}<|im_end|>`,
        },
        { label: "Llama 3 (real tokenizer)", ...llama3, trainedOn: (a) => `${a}<|eot_id|>` },
      );
      const spec = join(dir, "spec.json");
      writeFileSync(
        spec,
        JSON.stringify({
          records: FORMS.map((f) => f.train),
          bases: bases.map((b) => ({
            label: b.label,
            dir: b.hf,
            template_kwargs: b.enableThinking === undefined ? {} : { enable_thinking: b.enableThinking },
          })),
        }),
      );
      // one Python process for every base: importing transformers is most of its time
      trainer = JSON.parse(
        execFileSync(TRAINER_PYTHON, [join(import.meta.dirname, "support", "prompt_ids.py"), spec], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        }),
      );
    }, scaled(240_000));

    it("every base: the same token ids for every form, on both sides", async () => {
      for (const base of bases) {
        const trained = trainer[base.label]!;
        const harness = await EvaluationHarness.open({ basePath: base.gguf });
        try {
          for (const [i, { form, item }] of FORMS.entries()) {
            // the answer is trained right after the very prompt the trainer would ask it with
            expect(trained[i]!.trained_after, `${base.label}: ${form}`).toEqual(trained[i]!.prompt);
            const asked = benchmarkMessages(BenchmarkItemSchema.parse(item), false);
            const rendered = harness.renderChat(asked, { enableThinking: base.enableThinking });
            expect(rendered.tokens, `${base.label}: ${form}`).toEqual(trained[i]!.prompt);
          }
        } finally {
          await harness.dispose();
        }
      }
    });

    it("every base: each assistant turn of a 3-turn conversation is trained on, up to its end-of-turn token", () => {
      for (const base of bases) {
        const answers = THREE_TURNS.filter((m) => m.role === "assistant").map((m) => m.content);
        expect(trainer[base.label]![THREE_TURN_FORM]!.trained_on, base.label).toEqual(
          answers.map((a, i) => base.trainedOn(a, i === answers.length - 1)),
        );
      }
    });
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
