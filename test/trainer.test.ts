/**
 * runners/trainer/train.py: its argument and data handling with the machine's Python (no torch
 * needed: --plan stops before training; skipped, saying so, where there is no python3), and its
 * refusals and interruption with torch, in the trainer's environment.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDocument } from "../src/core/registry/load-document.ts";
import { AdapterManifestSchema, type AdapterManifest } from "../src/core/schemas/adapter.ts";
import { trainingRecipe } from "../src/core/schemas/training-recipe.ts";
import { fixtureBase, fixtureBaseOf } from "../src/eval/fixture-model.ts";
import { modelSample } from "../src/action/model-sample.ts";
import { writeModelCache } from "../src/eval/model-cache.ts";
import { FIXTURE_ROOT, loadRegistryDocument } from "./support/registry.ts";
import { describeWithTrainer, TRAINER_PYTHON, TRAINER_SCRIPT } from "./support/trainer.ts";
import { promptSample } from "../src/action/prompt-sample.ts";
import { BenchmarkItemSchema } from "../src/core/schemas/records.ts";
import { tinyBase } from "../src/gguf/tiny-base.ts";
import { scaled } from "./support/load.ts";

const python = spawnSync("python3", ["--version"]).status === 0;
if (!python) console.warn("trainer tests skipped: no python3 on this machine");

const dir = mkdtempSync(join(tmpdir(), "loragate-trainer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const baseModel = join(dir, "base");
mkdirSync(baseModel);
writeFileSync(join(baseModel, "config.json"), JSON.stringify({ model_type: "llama" }));
const adapterDir = join(FIXTURE_ROOT, "adapters", "math-gsm8k");
const loaded = loadDocument(
  "adapter.yaml",
  readFileSync(join(adapterDir, "adapter.yaml")),
  AdapterManifestSchema,
);
const manifest = (loaded.ok ? loaded.value : undefined) as AdapterManifest;
const dataset = join(adapterDir, "training", "dataset.jsonl");

function plan(recipe: object) {
  const path = join(dir, `recipe-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(recipe));
  const run = spawnSync("python3", [TRAINER_SCRIPT, "--recipe", path, "--plan"], { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe.skipIf(!python)("the trainer (python3 train.py --plan)", () => {
  const recipe = trainingRecipe(manifest, { baseModel, dataset, outputDir: join(dir, "out") }, false);

  it("plans exactly the declared recipe: 520 examples x 10 epochs at batch 4 = 1300 steps", () => {
    const run = plan(recipe);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      examples: 520,
      epochs: 10,
      batch_size: 4,
      steps: 1300,
      lora: { r: 16, alpha: 64, targets: manifest.lora.target_modules },
      seed: 42,
    });
  });

  it.each([
    [{ r: 0 }, /r must be between 1 and 256, got 0/],
    [{ learning_rate: "fast" }, /learning_rate must be a number/],
    [{ batch_size: 2.5 }, /batch_size must be a whole number/],
    [{ target_modules: ["lm_head"] }, /target_modules must be a non-empty subset/],
    [{ dataset: join(dir, "missing.jsonl") }, /dataset .*missing.jsonl not found/],
    [{ base_model: dir }, /has no config.json \(the runner's model cache\)/],
  ])("refuses %j with exit 2 and the reason", (change, message) => {
    const run = plan({ ...recipe, ...change });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it.each([
    ['{"instruction": 1}', /bad\.jsonl:2: needs instruction, input and output strings/],
    ['[{"instruction":"a","input":"","output":"b"}]', /bad\.jsonl:2: a JSON object is expected, got list/],
    ['"just a string"', /bad\.jsonl:2: a JSON object is expected, got str/],
    ['{"instruction": "a", ', /bad\.jsonl:2: not JSON \(.* at column \d+\)/],
    [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), /bad\.jsonl:2: not valid UTF-8 \(byte 3 of the line\)/],
    [
      '{"messages": [{"role": "tool", "content": "x"}]}',
      /bad\.jsonl:2: turn 1 has role 'tool'; known: system, user/,
    ],
    [
      '{"conversations": [{"from": "gpt", "value": "a"}, {"from": "human", "value": "b"}]}',
      /bad\.jsonl:2: turns must be an optional system turn, then user and assistant in turn, ending with assistant/,
    ],
    ['{"messages": [{"role": "user"}]}', /bad\.jsonl:2: turn 1 needs a role and a text/],
  ])("refuses data it cannot train on, at the line, with exit 2 and no traceback (%s)", (line, message) => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(
      bad,
      Buffer.concat([
        Buffer.from('{"instruction":"a","input":"","output":"b"}\n'),
        Buffer.from(line),
        Buffer.from("\n"),
      ]),
    );
    const run = plan({ ...recipe, dataset: bad });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/Traceback/);
  });

  it("length-grouped batches: every example once per epoch, the recipe's batch size, similar lengths", () => {
    const script = `
import json, random, sys
sys.path.insert(0, ${JSON.stringify(join(TRAINER_SCRIPT, ".."))})
from train import length_grouped_batches
rng = random.Random(1)
lengths = [rng.randint(64, 384) for _ in range(500)]
out = []
for epoch in range(2):
    batches = length_grouped_batches(lengths, 4, 42, epoch)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    out.append({"ids": sorted(i for b in batches for i in b), "sizes": sorted({len(b) for b in batches}),
                "spread": spread, "first": batches[0]})
print(json.dumps(out))`;
    const run = spawnSync("python3", ["-c", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const [first, second] = JSON.parse(run.stdout) as {
      ids: number[];
      sizes: number[];
      spread: number;
      first: number[];
    }[];
    expect(first!.ids).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(first!.sizes).toEqual([4]);
    expect(first!.spread).toBeLessThan(20); // random batches of 4 would spread ~160 tokens
    expect(second!.first).not.toEqual(first!.first); // the order changes per epoch
  });
});

/** The longest of these trains an epoch (about a minute on 2 idle CPUs); a busy machine gets longer. */
const TORCH = { timeout: scaled(180_000) };

describeWithTrainer("the trainer with torch (the trainer's Python environment)", TORCH, () => {
  const cache = join(dir, "models");
  const { trainingBase } = writeModelCache({
    registry: loadRegistryDocument(),
    cacheDir: cache,
    ...fixtureBaseOf(FIXTURE_ROOT),
  });
  const recipe = trainingRecipe(
    manifest,
    { baseModel: trainingBase, dataset, outputDir: join(dir, "trained") },
    false,
  );
  const write = (changes: object) => {
    const path = join(dir, "train-recipe.json");
    writeFileSync(path, JSON.stringify({ ...recipe, ...changes }));
    return path;
  };

  it("torch's threads follow the CPUs the process may really use, and the log says so", () => {
    const threads = (prefix: string[], env: Record<string, string> = {}) =>
      spawnSync(
        prefix[0] ?? TRAINER_PYTHON,
        [
          ...prefix.slice(1),
          ...(prefix.length ? [TRAINER_PYTHON] : []),
          "-c",
          `import sys; sys.path.insert(0, ${JSON.stringify(join(TRAINER_SCRIPT, ".."))}); import train; print(train.training_threads())`,
        ],
        { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "", ...env } },
      ).stdout.trim();
    // pinned to one core: one thread, whatever the machine has
    expect(threads(["taskset", "-c", "0"])).toMatch(/^\(1, '1 CPUs usable by affinity, load [\d.]+'\)$/);
    expect(threads([], { LORAGATE_TRAINER_THREADS: "3" })).toMatch(
      /^\(3, 'LORAGATE_TRAINER_THREADS \(of \d+ CPUs/,
    );
  });

  it("the loss on answer positions only equals transformers' own causal-LM loss", () => {
    const script = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(join(TRAINER_SCRIPT, ".."))})
from pathlib import Path
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer
from train import answer_loss, read_examples, tokenize
tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
model = get_peft_model(AutoModelForCausalLM.from_pretrained(sys.argv[1]), LoraConfig(r=4, target_modules=["q_proj", "down_proj"], init_lora_weights=False))
encoded = [tokenize(tokenizer, e, 1024) for e in read_examples(Path(sys.argv[2]))[:3]]
width = max(len(ids) for ids, _ in encoded)
ids = torch.tensor([i + [0] * (width - len(i)) for i, _ in encoded])
labels = torch.tensor([l + [-100] * (width - len(l)) for _, l in encoded])
mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in encoded])
with torch.no_grad():
    ours = answer_loss(model.get_base_model(), ids, mask, labels).item()
    theirs = model(input_ids=ids, attention_mask=mask, labels=labels).loss.item()
print(json.dumps([ours, theirs]))`;
    const run = spawnSync(TRAINER_PYTHON, ["-c", script, trainingBase, dataset], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const [ours, theirs] = JSON.parse(run.stdout) as [number, number];
    expect(Math.abs(ours - theirs)).toBeLessThan(1e-5);
    expect(ours).toBeGreaterThan(1); // a real loss, not an empty mean
  });

  it("chat forms: one conversation tokenizes alike in every form; several turns train on the assistant's only", () => {
    const turns = [
      ["user", "What is 7 times 6?"],
      ["assistant", "7 times 6 is 42."],
    ];
    const lines = [
      { instruction: turns[0]![1], input: "", output: turns[1]![1] },
      { messages: turns.map(([role, content]) => ({ role, content })) },
      { conversations: turns.map(([role, value]) => ({ from: role === "user" ? "human" : "gpt", value })) },
      { conversations: turns.map(([role, content]) => ({ role, content })) },
      { conversations: turns.map(([role, content]) => ({ role, content, value: "" })) }, // a stray key
      {
        messages: [
          { role: "system", content: "You are a careful tutor." },
          { role: "user", content: "Add 2 and 3." },
          { role: "assistant", content: "2 plus 3 is 5." },
          { role: "user", content: "And times 4?" },
          { role: "assistant", content: "5 times 4 is 20." },
        ],
      },
    ];
    const chat = join(dir, "chat.jsonl");
    writeFileSync(chat, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(TRAINER_SCRIPT, ".."))})
from pathlib import Path
from transformers import AutoTokenizer
from train import read_examples, tokenize
tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
out = []
for example in read_examples(Path(sys.argv[2])):
    ids, labels = tokenize(tokenizer, example, 1024)
    spans, current = [], []
    for token, label in zip(ids, labels):
        if label != -100:
            current.append(token)
        elif current:
            spans.append(tokenizer.decode(current)); current = []
    if current:
        spans.append(tokenizer.decode(current))
    out.append({"ids": ids, "trained": spans})
print(json.dumps(out))`;
    const run = spawnSync(TRAINER_PYTHON, ["-c", script, trainingBase, chat], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const encoded = JSON.parse(run.stdout) as { ids: number[]; trained: string[] }[];
    for (const other of encoded.slice(1, 5)) expect(other.ids).toEqual(encoded[0]!.ids);
    const multi = encoded[5]!.trained;
    expect(multi).toHaveLength(2); // the two answers, nothing of the system or user turns
    expect(multi[0]).toContain("2 plus 3 is 5.");
    expect(multi[1]).toContain("5 times 4 is 20.");
    for (const span of multi) expect(span).not.toMatch(/tutor|Add 2|times 4\?/);
  });

  it("a prompt longer than max_seq_length is refused at its line, naming the knob; nothing is written", () => {
    const run = spawnSync(TRAINER_PYTHON, [TRAINER_SCRIPT, "--recipe", write({ max_seq_length: 16 })], {
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /dataset\.jsonl:1: the prompt is \d+ tokens and training\.max_seq_length is 16, so nothing of the answer would be trained on: raise training\.max_seq_length/,
    );
    expect(run.stderr).not.toMatch(/Traceback/);
    expect(existsSync(recipe.output_dir)).toBe(false);
  });

  it.each([
    ["model.safetensors cut short", "model.safetensors", (bytes: Buffer) => bytes.subarray(0, 4096)],
    ["tokenizer.json missing", "tokenizer.json", undefined],
  ])(
    "a training base that does not load (%s): exit 6, one line naming the folder, no traceback",
    (_, file, damage) => {
      const broken = join(dir, `broken-${file}`);
      cpSync(trainingBase, broken, { recursive: true });
      if (damage) writeFileSync(join(broken, file), damage(readFileSync(join(broken, file))));
      else rmSync(join(broken, file));
      const run = spawnSync(TRAINER_PYTHON, [TRAINER_SCRIPT, "--recipe", write({ base_model: broken })], {
        encoding: "utf8",
      });
      expect(run.status).toBe(6);
      const lines = run.stderr.split("\n").filter((l) => l.startsWith("loragate trainer:"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^loragate trainer: the base model's (tokenizer|weights) in .*broken-.* does not load \(/,
      );
      expect(run.stderr).not.toMatch(/Traceback/);
      expect(existsSync(recipe.output_dir)).toBe(false);
    },
    60_000,
  );

  it("a training base whose tokenizer is not the GGUF's: exit 7 before training; the pinned pair trains, naming any item the two split differently", async () => {
    const items = readFileSync(join(adapterDir, "eval", "benchmark.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => BenchmarkItemSchema.parse(JSON.parse(line)));
    const file = "adapters/math-gsm8k/eval/benchmark.jsonl";
    // another base's GGUF: its merges were learned from other text, so the same prompt splits otherwise
    const other = join(dir, "other.gguf");
    writeFileSync(
      other,
      tinyBase({ architecture: "llama", corpus: ["something else entirely", "zebra quilt"] }).gguf,
    );
    const mismatch = join(dir, "mismatch.json");
    const sample = (basePath: string) =>
      promptSample({ basePath, benchmarks: [{ label: file, items }], thinking: { enabled: false } });
    writeFileSync(mismatch, JSON.stringify(await sample(other)));
    const refused = spawnSync(
      TRAINER_PYTHON,
      [TRAINER_SCRIPT, "--recipe", write({}), "--check-prompts", mismatch],
      { encoding: "utf8" },
    );
    expect(refused.status).toBe(7);
    expect(refused.stderr).toMatch(
      /^loragate trainer: the training base's tokenizer and the evaluation's GGUF tokenize \d+ of \d+ prompts differently \(first: adapters\/math-gsm8k\/eval\/benchmark\.jsonl item q-0001: \d+ vs \d+ tokens, first difference at token \d+/m,
    );
    expect(refused.stderr).not.toMatch(/Traceback/);
    expect(existsSync(recipe.output_dir)).toBe(false);
    // the pinned pair agrees: training starts and ends (one short epoch). Every item is compared: one far
    // past the first few, split otherwise (as two tokenizers may split a rare text), is named, not refused.
    const matching = join(dir, "matching.json");
    const pinned = join(cache, "tiny-llama-fixture-f32.gguf");
    const prompts = await sample(pinned);
    expect(prompts).toHaveLength(items.length);
    const odd = prompts[items.length - 1]!;
    odd.ids = [...odd.ids.slice(0, -1), 0];
    writeFileSync(matching, JSON.stringify(prompts));
    // the GGUF's own next-token probabilities agree with the training base's (F32 on both sides)
    const sameModel = join(dir, "same-model.json");
    const own = { label: file, items, thinking: { enabled: false } };
    writeFileSync(sameModel, JSON.stringify(await modelSample({ basePath: pinned, ...own })));
    const trained = spawnSync(
      TRAINER_PYTHON,
      [
        TRAINER_SCRIPT,
        "--recipe",
        write({ epochs: 1 }),
        "--check-prompts",
        matching,
        "--check-model",
        sameModel,
      ],
      { encoding: "utf8" },
    );
    expect(trained.stderr).not.toMatch(/Traceback/);
    expect(trained.status).toBe(0);
    expect(existsSync(join(recipe.output_dir, "adapter_model.safetensors"))).toBe(true);
    const named = `${file} item ${items.at(-1)!.id}`;
    expect(trained.stderr).toContain(`warning: tokenized differently by the two tokenizers: ${named}`);
    const summary = JSON.parse(readFileSync(join(recipe.output_dir, "summary.json"), "utf8"));
    expect(summary.prompts_tokenized_differently).toEqual([expect.stringMatching(new RegExp(`^${named}: `))]);
    rmSync(recipe.output_dir, { recursive: true, force: true });

    // a GGUF of other weights with the very same tokenizer (another revision, an instruct twin): every
    // prompt gets the same ids, and the next-token probabilities tell them apart
    const twin = join(dir, "twin.gguf");
    writeFileSync(twin, fixtureBase(readFileSync(dataset, "utf8"), 7).gguf);
    const twinPrompts = join(dir, "twin-prompts.json");
    writeFileSync(twinPrompts, JSON.stringify(await sample(twin)));
    const twinModel = join(dir, "twin-model.json");
    writeFileSync(twinModel, JSON.stringify(await modelSample({ basePath: twin, ...own })));
    const twinRun = spawnSync(
      TRAINER_PYTHON,
      [
        TRAINER_SCRIPT,
        "--recipe",
        write({ epochs: 1 }),
        "--check-prompts",
        twinPrompts,
        "--check-model",
        twinModel,
      ],
      { encoding: "utf8" },
    );
    expect(twinRun.status).toBe(7);
    expect(twinRun.stderr).toContain(
      `the evaluation's GGUF ${twin} predict different next tokens: mean KL divergence`,
    );
    expect(twinRun.stderr).toContain(`the training base ${trainingBase}`);
    expect(twinRun.stderr).not.toMatch(/Traceback|tokenized differently/);
    expect(existsSync(recipe.output_dir)).toBe(false);
  });

  it("SIGTERM mid-training stops between two steps: exit 5, no adapter and no partial folder", async () => {
    mkdirSync(recipe.output_dir, { recursive: true });
    writeFileSync(join(recipe.output_dir, "adapter_model.safetensors"), "an earlier run's"); // not this run's
    const child = spawn(TRAINER_PYTHON, [TRAINER_SCRIPT, "--recipe", write({})], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("step ") && resolve()),
    );
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(5);
    expect(stderr).toMatch(/stopped by SIGTERM; no adapter was written/);
    expect(stderr).not.toMatch(/Traceback/);
    expect(existsSync(recipe.output_dir)).toBe(false);
    expect(existsSync(`${recipe.output_dir}.partial`)).toBe(false);
  });
});
