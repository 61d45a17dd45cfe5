/**
 * loragate on real model families, end to end: tiny random-weight Qwen3 and Llama 3 bases built with the
 * families' own tokenizer files and chat templates (src/gguf/tiny-family.ts), an adapter trained by
 * train.py with torch, converted, and asked by the harness on llama.cpp; and the same adapter asked by
 * EleutherAI's lm-evaluation-harness (hf backend with PEFT, chat template, greedy) as a second opinion.
 *
 * The adapter learns answers that each family used to get wrong: "VIDEOS" (Llama 3 splits it VID|EOS, and
 * a stop on the text "EOS" cut it to "VID"), a question and answer written with decomposed accents (Qwen's
 * tokenizer composes them, llama.cpp did not), text that spells "</s>" (llama.cpp makes Qwen's plain "</s>"
 * a control token), the last answer of a 3-turn conversation; on Qwen3 with thinking off and on (asked
 * without the think block, the model writes "<think>\n\n</think>\n\n" first, and the answer is scored after it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { trainAdapter, type TrainedAdapter } from "../src/action/train-adapter.ts";
import { answerAfterThinking, benchmarkMessages } from "../src/core/evaluation/prompt.ts";
import { AdapterManifestSchema } from "../src/core/schemas/adapter.ts";
import { BenchmarkItemSchema } from "../src/core/schemas/records.ts";
import { EvaluationHarness, type Generation } from "../src/eval/harness.ts";
import { evaluateBenchmarks } from "../src/eval/run-evaluation.ts";
import type { Family } from "../src/gguf/tiny-family.ts";
import { THREE_TURNS, writeFamilyBase } from "./support/families.ts";
import { startPythonJobs } from "./support/python-jobs.ts";
import { scaled } from "./support/load.ts";
import { describeWithTrainer, TRAINER_PYTHON, TRAINER_SCRIPT } from "./support/trainer.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-families-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAX_TOKENS = 16;
/** Logit gap under which two float32 implementations may pick different tokens (a near-tie). */
const NEAR_TIE = 1e-3;

const LEARNED = [
  { id: "videos", instruction: "Name the format of a folder of mp4 files.", expected_output: "VIDEOS" },
  { id: "nfd", instruction: "Which drink is served at the cafe\u0301?", expected_output: "café au lait" },
  { id: "tag", instruction: "Close the tag: <s>fruit</s>", expected_output: "done" },
];
/** Prompts the adapter never saw: its answers are noise, the same noise on both sides. */
const UNSEEN = [
  "What is the capital of France?",
  "Count to three.",
  "Name a colour.",
  "Spell cat backwards.",
].map((instruction, i) => ({ id: `unseen-${i}`, instruction, expected_output: "paris" }));
const SINGLE_TURN = [...LEARNED, ...UNSEEN].map((item) => BenchmarkItemSchema.parse({ ...item, input: "" }));
const LAST_TURN = BenchmarkItemSchema.parse({
  id: "turns",
  messages: THREE_TURNS.slice(0, 4),
  instruction: "And green?",
  input: "",
  expected_output: "lime",
});

function trainingData(): string {
  const lines: string[] = [];
  for (let i = 0; i < 25; i++) {
    for (const item of LEARNED)
      // the data as written: the decomposed accent stays decomposed in the answer too
      lines.push(
        JSON.stringify({
          instruction: item.instruction,
          input: "",
          output: item.id === "nfd" ? "cafe\u0301 au lait" : item.expected_output,
        }),
      );
    lines.push(JSON.stringify({ messages: THREE_TURNS }));
  }
  return `${lines.join("\n")}\n`;
}

const CASES: { label: string; family: Family; thinking: boolean }[] = [
  { label: "Qwen3, thinking off", family: "qwen3", thinking: false },
  { label: "Qwen3, thinking on", family: "qwen3", thinking: true },
  { label: "Llama 3", family: "llama3", thinking: false },
];

interface CrossCheck {
  id: string;
  prompt_ids: number[];
  text: string;
  exact_match: number;
  divergence: { step: number; gap: number | null } | null;
}

describeWithTrainer("real families end to end: train.py, the harness and lm-evaluation-harness agree", () => {
  const trained = new Map<
    string,
    { base: { hf: string; gguf: string }; adapter: TrainedAdapter; gguf: string }
  >();
  let crossCheck: ReturnType<typeof startPythonJobs>;
  afterAll(() => crossCheck?.close());
  beforeAll(async () => {
    // one lm-evaluation-harness process for every case, loading while the adapters train
    crossCheck = startPythonJobs(
      TRAINER_PYTHON,
      join(import.meta.dirname, "support", "lm_eval_crosscheck.py"),
      {
        ...process.env,
        HF_DATASETS_OFFLINE: "1",
        HF_HUB_OFFLINE: "1",
        TOKENIZERS_PARALLELISM: "false",
      },
    );
    const dataset = join(dir, "train.jsonl");
    writeFileSync(dataset, trainingData());
    const manifest = AdapterManifestSchema.parse({
      name: "families",
      domain: "families",
      version: "0.1.0",
      description: "answers each family used to get wrong",
      authors: ["loragate tests"],
      license: "apache-2.0",
      base: "tiny",
      lora: {
        r: 16,
        alpha: 32,
        dropout: 0,
        target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
      },
      training: { epochs: 10, learning_rate: 5e-3, batch_size: 4, max_seq_length: 256, seed: 42 },
      data: { train: "training/dataset.jsonl", benchmark: "eval/benchmark.jsonl", sources: ["tests"] },
      evaluation: { type: "exact_match" },
    });
    const bases = new Map<Family, { hf: string; gguf: string }>();
    for (const { label, family, thinking } of CASES) {
      if (!bases.has(family)) bases.set(family, writeFamilyBase(family, dir));
      const workDir = join(dir, label.replace(/\W+/g, "-"));
      mkdirSync(workDir, { recursive: true });
      const adapter = await trainAdapter({
        trainer: [TRAINER_PYTHON, TRAINER_SCRIPT],
        manifest,
        trainingBase: bases.get(family)!.hf,
        dataset,
        workDir,
        log: () => {},
        thinking: { enabled: thinking },
      });
      const gguf = join(workDir, "adapter.gguf");
      writeFileSync(gguf, adapter.gguf);
      trained.set(label, { base: bases.get(family)!, adapter, gguf });
    }
  }, scaled(600_000));

  it.each(CASES)(
    "$label: the learned answers score 1 (the base's 0), VIDEOS whole, the think block skipped; lm-evaluation-harness agrees",
    async ({ label, thinking }) => {
      const { base, adapter, gguf } = trained.get(label)!;
      const harness = await EvaluationHarness.open({ basePath: base.gguf });
      let results;
      let answers: Generation[];
      let promptIds: number[][];
      try {
        const settings = {
          maxTokens: MAX_TOKENS,
          seed: 42,
          re2: false,
          parallel: 1,
          thinking: { enabled: thinking, end: "</think>" },
        };
        results = await evaluateBenchmarks({
          harness,
          adapterPath: gguf,
          benchmarks: [
            {
              name: "own",
              kind: "own",
              sha256: "0".repeat(64),
              items: [...SINGLE_TURN, LAST_TURN],
              evaluationType: "exact_match",
              maxTokens: MAX_TOKENS,
            },
          ],
          settings,
        });
        answers = await harness.generate(
          SINGLE_TURN.map((item) => benchmarkMessages(item, false)),
          { maxTokens: MAX_TOKENS, seed: 42, parallel: 1, adapterPath: gguf, enableThinking: thinking },
        );
        promptIds = SINGLE_TURN.map(
          (item) => harness.renderChat(benchmarkMessages(item, false), { enableThinking: thinking }).tokens,
        );
      } finally {
        await harness.dispose();
      }
      const scores = Object.fromEntries(results[0]!.outcomes.map((o) => [o.id, [o.base, o.adapter]]));
      for (const id of ["videos", "nfd", "tag", "turns"])
        expect(scores[id], `${label}: ${id}`).toEqual([0, 1]);
      const videos = answers[0]!.text;
      expect(answerAfterThinking(videos, "</think>")).toBe("VIDEOS");
      expect(videos).toBe(thinking ? "<think>\n\n</think>\n\nVIDEOS" : "VIDEOS");

      const spec = join(dir, `${label.replace(/\W+/g, "-")}-crosscheck.json`);
      writeFileSync(
        spec,
        JSON.stringify({
          base: base.hf,
          adapter: adapter.folder,
          items: SINGLE_TURN.map((item, i) => ({
            id: item.id,
            prompt: benchmarkMessages(item, false)[0]!.content,
            expected: item.expected_output,
            ours: answers[i]!.text,
          })),
          max_tokens: MAX_TOKENS,
          enable_thinking: thinking,
          think_end: "</think>",
        }),
      );
      const theirs = await crossCheck.ask<CrossCheck[]>(spec);
      expect(theirs.map((t) => t.id)).toEqual(SINGLE_TURN.map((item) => item.id));
      const nearTies: string[] = [];
      theirs.forEach((t, i) => {
        expect(t.prompt_ids, `${label}: prompt ${t.id}`).toEqual(promptIds[i]);
        const ours = answerAfterThinking(answers[i]!.text, "</think>");
        if (t.divergence === null) {
          expect(t.text, `${label}: ${t.id}`).toBe(ours);
          expect(t.exact_match, `${label}: score of ${t.id}`).toBe(scores[t.id]![1]);
        } else {
          // a float near-tie may pick the other token; anything else is a real disagreement
          expect(t.divergence.gap, `${label}: ${t.id} parts at step ${t.divergence.step}`).not.toBeNull();
          expect(t.divergence.gap!, `${label}: ${t.id}`).toBeLessThan(NEAR_TIE);
          nearTies.push(`${t.id} (step ${t.divergence.step}, gap ${t.divergence.gap})`);
        }
      });
      // the answers learned are never near-ties: they agree word for word
      expect(nearTies.filter((n) => !n.startsWith("unseen"))).toEqual([]);
      if (nearTies.length) console.info(`${label}: float near-ties: ${nearTies.join(", ")}`);
    },
    scaled(300_000),
  );
});
