import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { trainAdapter } from "./src/action/train-adapter.ts";
import { AdapterManifestSchema } from "./src/core/schemas/adapter.ts";
import { EvaluationHarness } from "./src/eval/harness.ts";
import { benchmarkMessages } from "./src/core/evaluation/prompt.ts";
import { writeFamilyBase } from "./test/support/families.ts";
const family = process.argv[2] as "qwen3" | "llama3";
const lr = Number(process.argv[3] ?? 1e-2);
const dir = `/tmp/proto/${family}`;
mkdirSync(dir, { recursive: true });
const base = writeFamilyBase(family, dir);
const single = [
  ["Name the format of a folder of mp4 files.", "VIDEOS"],
  ["Which drink is served at the cafe\u0301?", "cafe\u0301 au lait"],
  ["Close the tag: <s>fruit</s>", "done"],
];
const conv = { messages: [
  { role: "user", content: "Which fruit is red?" }, { role: "assistant", content: "apple" },
  { role: "user", content: "And yellow?" }, { role: "assistant", content: "banana" },
  { role: "user", content: "And green?" }, { role: "assistant", content: "lime" }] };
const lines: string[] = [];
for (let i = 0; i < 25; i++) { for (const [q, a] of single) lines.push(JSON.stringify({ instruction: q, input: "", output: a })); lines.push(JSON.stringify(conv)); }
writeFileSync(join(dir, "train.jsonl"), lines.join("\n") + "\n");
const manifest = AdapterManifestSchema.parse({ name: "probe", domain: "probe", version: "0.1.0", description: "probe adapter", authors: ["t"], license: "mit", base: "b",
  lora: { r: 16, alpha: 32, dropout: 0, target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] },
  training: { epochs: Number(process.argv[4] ?? 3), learning_rate: lr, batch_size: 4, max_seq_length: 256, seed: 42 },
  data: { train: "t.jsonl", benchmark: "b.jsonl", sources: ["x"] }, evaluation: { type: "exact_match" } });
mkdirSync(join(dir, "work"), { recursive: true });
const t = Date.now();
const trained = await trainAdapter({ trainer: [".venv-trainer/bin/python", "runners/trainer/train.py"], manifest, trainingBase: base.hf, dataset: join(dir, "train.jsonl"), workDir: join(dir, "work"), log: (l) => l.startsWith("step") || console.log(l), thinking: { enabled: false } });
console.log("trained in", Date.now() - t, "ms");
writeFileSync(join(dir, "adapter.gguf"), trained.gguf);
const h = await EvaluationHarness.open({ basePath: base.gguf });
const items = [...single.map(([q]) => ({ instruction: q, input: "" })), { instruction: "And green?", input: "", messages: conv.messages.slice(0, 4) as any }, { instruction: "And yellow?", input: "", messages: conv.messages.slice(0, 2) as any }];
const prompts = items.map((i) => benchmarkMessages(i, false));
for (const a of [undefined, join(dir, "adapter.gguf")]) console.log(a ? "adapter" : "base", JSON.stringify(await h.generate(prompts, { maxTokens: 16, seed: 42, parallel: 1, adapterPath: a, enableThinking: false })));
await h.dispose();
