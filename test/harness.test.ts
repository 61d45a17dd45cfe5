/**
 * The evaluation harness on real llama.cpp (node-llama-cpp's prebuilt CPU binary) and generated
 * GGUF files: nothing is mocked and nothing is downloaded.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY_SHAPE, tinyLlamaGguf, tinyLoraGguf } from "../src/gguf/tiny-llama.ts";
import { ResultsSchema } from "../src/core/schemas/results.ts";
import { evaluateRegistryAdapter } from "../src/eval/evaluate-adapter.ts";
import { sha256File } from "../src/io/sha256-file.ts";
import { EvaluationHarness, threadsFor } from "../src/eval/harness.ts";
import { evaluateBenchmarks } from "../src/eval/run-evaluation.ts";
import { readGgufFileInfo } from "node-llama-cpp";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { runCli } from "../src/cli/main.ts";
import { fixtureBaseOf } from "../src/eval/fixture-model.ts";
import { FIXTURE_ROOT, registryWithValidAdapter } from "./support/registry.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-harness-"));
const file = (name: string, bytes: Buffer | string) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const basePath = file("base.gguf", tinyLlamaGguf());
const adapterPath = file("adapter.gguf", tinyLoraGguf());
const prompts = [
  "How many apples are left?",
  "What is the total cost of 3 pens?",
  "def add(a, b):",
  "Mean of 2 and 4?",
];
const settings = { maxTokens: 24, seed: 42, parallel: 1 };
let harness: EvaluationHarness;

beforeAll(async () => {
  harness = await EvaluationHarness.open({ basePath });
});
afterAll(async () => {
  await harness?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("evaluation harness (llama.cpp on a generated tiny llama)", () => {
  it("answers greedily and deterministically; parallel sequences give the same answers", async () => {
    const first = await harness.generate(prompts, settings);
    expect(first.every((g) => g.text.length > 0)).toBe(true);
    expect(await harness.generate(prompts, settings)).toEqual(first);
    expect(await harness.generate(prompts, { ...settings, parallel: 4 })).toEqual(first);
    // the random model never stops by itself: every answer runs into the budget and says so
    expect(first.every((g) => g.hitMaxTokens)).toBe(true);
  });

  it("parallel sequences that finish at different steps are refilled in order, with the same answers", async () => {
    // this model's end-of-sequence token is one it emits after some prompts and not others
    const stopping = await EvaluationHarness.open({
      basePath: file("stops.gguf", tinyLlamaGguf({ eosTokenId: 948 })),
    });
    try {
      const questions = [
        ...prompts,
        "Count the train cars.",
        "Sum of each list value",
        "What is the median?",
        "print the number",
        "How far is the train?",
      ];
      const sequential = await stopping.generate(questions, settings);
      const stopped = sequential.filter((g) => !g.hitMaxTokens).map((g) => g.text.length);
      expect(new Set(stopped).size).toBeGreaterThanOrEqual(2);
      expect(sequential.some((g) => g.hitMaxTokens)).toBe(true);
      for (const parallel of [2, 4, 16])
        expect(await stopping.generate(questions, { ...settings, parallel })).toEqual(sequential);
    } finally {
      await stopping.dispose();
    }
  });

  it("two CPU threads give the same answers as one", async () => {
    const twoThreads = await EvaluationHarness.open({ basePath, threads: 2 });
    try {
      const expected = await harness.generate(prompts, settings);
      expect(await twoThreads.generate(prompts, { ...settings, parallel: 4 })).toEqual(expected);
    } finally {
      await twoThreads.dispose();
    }
  });

  it("threads follow a context's work on 2 cores, and take every core on larger machines", () => {
    const MB = 2 ** 20;
    expect(threadsFor(1, 100 * MB, 2)).toBe(1); // one token at a time: waking a second thread costs more
    expect(threadsFor(8, 16 * MB, 2)).toBe(1);
    expect(threadsFor(32, 16 * MB, 2)).toBe(2);
    expect(threadsFor(32, 100 * MB, 2)).toBe(2);
    expect(threadsFor(1, 1 * MB, 16)).toBe(16);
  });

  it("the adapter changes the answers; the base alone is unchanged afterwards", async () => {
    const base = await harness.generate(prompts, settings);
    const adapted = await harness.generate(prompts, { ...settings, adapterPath });
    expect(adapted).not.toEqual(base);
    expect(await harness.generate(prompts, settings)).toEqual(base);
  });

  it("a wrong-shaped adapter fails with llama.cpp's own reason (which tensor, which shape)", async () => {
    const wrong = file("wrong.gguf", tinyLoraGguf({ shape: { ...TINY_SHAPE, embedding: 128 } }));
    await expect(harness.generate(prompts, { ...settings, adapterPath: wrong })).rejects.toThrow(
      /cannot apply adapter .*wrong\.gguf[\s\S]*llama\.cpp says:[\s\S]*tensor 'blk\.0\.attn_\w+\.weight' has incorrect shape/,
    );
  });

  it("refuses inputs that are not what they claim, before llama.cpp sees them", async () => {
    const notGguf = file("notes.gguf", "just text");
    const truncated = file("truncated.gguf", tinyLoraGguf().subarray(0, 5000));
    const cases: [string, RegExp][] = [
      [join(dir, "missing.gguf"), /adapter not found/],
      [notGguf, /is not a readable GGUF file/],
      [truncated, /truncated|not a readable GGUF/],
      [basePath, /is a model, not a LoRA adapter/],
    ];
    const cut = tinyLoraGguf();
    cases.push([
      file("cut-short.gguf", cut.subarray(0, cut.length - 10)),
      /llama\.cpp says:\n.*'blk\.1\.attn_output\.weight\.lora_b' data is not within the file bounds/,
    ]);
    for (const [path, message] of cases)
      await expect(harness.generate(prompts, { ...settings, adapterPath: path })).rejects.toThrow(message);
    await expect(EvaluationHarness.open({ basePath: adapterPath })).rejects.toThrow(
      /is a LoRA adapter, not a model/,
    );
    await expect(EvaluationHarness.open({ basePath: truncated })).rejects.toThrow(
      /truncated|not a readable GGUF/,
    );
  });

  it("a prompt that cannot fit the model's context with its token budget is named, not truncated", async () => {
    await expect(harness.generate(["a ".repeat(1500)], { ...settings, maxTokens: 600 })).rejects.toThrow(
      /prompt 1 is \d+ tokens; with max_tokens 600 it does not fit the model's context of 2048/,
    );
  });

  it("a model that answers nothing: empty answers are scored 0 and counted, not an error", async () => {
    // The same weights with end-of-sequence set to the token this prompt's answer starts with.
    const prompt = "How many apples are left?";
    const [first] = await harness.generate([prompt], { ...settings, maxTokens: 1 });
    const vocabulary = (
      (await readGgufFileInfo(basePath)).metadata as unknown as {
        tokenizer: { ggml: { tokens: string[] } };
      }
    ).tokenizer.ggml.tokens;
    const eosTokenId = vocabulary.indexOf(first!.text.replace(/^ /, "▁"));
    expect(eosTokenId).toBeGreaterThan(2);
    const silent = await EvaluationHarness.open({
      basePath: file("silent.gguf", tinyLlamaGguf({ eosTokenId })),
    });
    try {
      const item = { instruction: prompt, input: "", expected_output: "4", difficulty: "easy" as const };
      const [result] = await evaluateBenchmarks({
        harness: silent,
        benchmarks: [
          {
            name: "own",
            kind: "own",
            sha256: "0".repeat(64),
            items: [
              { ...item, id: "a" },
              { ...item, id: "b" },
            ],
            evaluationType: "numeric",
            maxTokens: 16,
          },
        ],
        settings: { maxTokens: 16, seed: 42, re2: false, parallel: 1 },
      });
      expect(result!.outcomes.map((o) => o.base)).toEqual([0, 0]);
      expect(result!.generation).toEqual({
        base: { max_tokens: 0, empty: 2 },
        adapter: { max_tokens: 0, empty: 2 },
      });
    } finally {
      await silent.dispose();
    }
  });

  it("refuses a base whose sha256 is not the registry's pin", async () => {
    await expect(EvaluationHarness.open({ basePath, baseSha256: "0".repeat(64) })).rejects.toThrow(
      /has sha256 [0-9a-f]{64}, but registry.yaml pins 0{64}/,
    );
  });

  it("an adapter for another architecture is named as such", async () => {
    const qwen = tinyLoraGguf();
    const at = qwen.indexOf("llama");
    const other = Buffer.from(qwen);
    other.write("qwen2", at); // same length, so the file stays well-formed
    await expect(
      harness.generate(prompts, { ...settings, adapterPath: file("qwen2.gguf", other) }),
    ).rejects.toThrow(/is for qwen2, the base is llama/);
  });
});

describe("evaluating a registry adapter", () => {
  const hiddenItems = Array.from({ length: 5 }, (_, i) => ({
    id: `h-${i}`,
    instruction: "Reply with the secret word.",
    input: "",
    expected_output: `secret-${i}`,
    difficulty: "easy" as const,
  }));
  const fixtureBase = file("fixture-base.gguf", fixtureBaseOf(FIXTURE_ROOT).gguf);

  it("writes complete results.json: own, domain and OOD benchmarks, per-item outcomes, the pins", async () => {
    const pinned = await EvaluationHarness.open({
      basePath: fixtureBase,
      baseSha256: await sha256File(fixtureBase),
    });
    try {
      const results = await evaluateRegistryAdapter({
        source: new FsRegistrySource(FIXTURE_ROOT),
        adapter: "math-gsm8k",
        harness: pinned,
        adapterPath,
        headSha: "a".repeat(40),
        hardware: "test CPU",
        settings: { seed: 42, re2: true, parallel: 8 },
      });
      expect(ResultsSchema.safeParse(results).success).toBe(true);
      expect(results.benchmarks.map((b) => [b.name, b.kind, b.outcomes.length])).toEqual([
        ["own", "own", 60],
        ["math", "domain", 60],
        ["code", "ood", 60],
        ["analysis", "ood", 60],
      ]);
      expect(results.inference).toMatchObject({ temperature: 0, max_tokens: 48, re2: true });
      expect(results.adapter_sha256).toBe(await sha256File(adapterPath));
      expect(results.benchmarks[0]!.generation!.base.max_tokens).toBeGreaterThan(0);
    } finally {
      await pinned.dispose();
    }
  }, 300_000);

  it("adapter.yaml's scoring rule scores only its own benchmark: registry ones by registry.yaml, hidden by their items", async () => {
    // the audit's exploit: an adapter that always answers XYZZY, declaring a regex that matches it
    const source = registryWithValidAdapter();
    const manifest = Buffer.from(await source.read("adapters/math-gsm8k/adapter.yaml")).toString();
    source.set(
      "adapters/math-gsm8k/adapter.yaml",
      Buffer.from(manifest.replace("  type: numeric", '  type: regex\n  config: {pattern: "XYZZY|.*"}')),
    );
    const pinned = await EvaluationHarness.open({ basePath: fixtureBase });
    try {
      const results = await evaluateRegistryAdapter({
        source,
        adapter: "math-gsm8k",
        harness: pinned,
        adapterPath,
        headSha: "a".repeat(40),
        hardware: "test CPU",
        settings: { seed: 42, re2: false, parallel: 8 },
        hidden: [{ label: "hidden 1", sha256: "f".repeat(64), items: hiddenItems }],
      });
      expect(results.benchmarks.map((b) => [b.name, b.evaluation_type])).toEqual([
        ["own", "regex"],
        ["math", "numeric"],
        ["code", "rouge_l"],
        ["analysis", "exact_match"],
        ["hidden 1", "exact_match"],
      ]);
      const mean = (name: string) => {
        const outcomes = results.benchmarks.find((b) => b.name === name)!.outcomes;
        return outcomes.reduce((sum, o) => sum + o.adapter, 0) / outcomes.length;
      };
      expect(mean("own")).toBe(1); // its own rule matches anything: its own benchmark only
      expect(mean("math")).toBeLessThan(0.5);
      expect(mean("hidden 1")).toBeLessThan(0.5);
    } finally {
      await pinned.dispose();
    }
  }, 300_000);

  it("an adapter that does not validate is refused before any generation", async () => {
    await expect(
      evaluateRegistryAdapter({
        source: new FsRegistrySource(FIXTURE_ROOT),
        adapter: "bad-rank",
        harness,
        adapterPath,
        headSha: "a".repeat(40),
        hardware: "test CPU",
        settings: { seed: 42, re2: true, parallel: 8 },
      }),
    ).rejects.toThrow(
      /adapter bad-rank does not validate; nothing was evaluated:\n {2}adapters\/bad-rank\/adapter.yaml:\d+/,
    );
  });
});

describe("loragate eval", () => {
  const io = () => {
    const out = { stdout: "", stderr: "" };
    return {
      out,
      io: {
        stdout: (s: string) => void (out.stdout += s),
        stderr: (s: string) => void (out.stderr += s),
        isTTY: false,
      },
    };
  };
  const benchmark = join(FIXTURE_ROOT, "adapters", "math-gsm8k", "eval", "benchmark.jsonl");

  it("evaluates a benchmark file and writes a results.json that loragate scorecard reads", async () => {
    const out = join(dir, "results.json");
    const run = io();
    const code = await runCli(
      [
        "eval",
        "--base",
        basePath,
        "--adapter",
        adapterPath,
        "--benchmark",
        benchmark,
        "--type",
        "numeric",
        "--max-tokens",
        "8",
        "--out",
        out,
      ],
      run.io,
    );
    expect(run.out.stderr).not.toMatch(/loragate:/);
    expect(code).toBe(0);
    expect(run.out.stdout).toMatch(/^own: base 0\.\d{3} → adapter 0\.\d{3} \(60 items/m);
    const results = ResultsSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(results.inference.max_tokens).toBe(8);
    const card = io();
    expect(await runCli(["scorecard", out], card.io)).toBe(1); // a random adapter does not pass the bar
    expect(card.out.stdout).toContain("does not pass the bar");
  });

  it("bad inputs exit 2 with a message and leave no results file", async () => {
    const out = join(dir, "never.json");
    // A line that is not an item: refused, where evaluating the others would report a score on fewer items.
    const badBenchmark = join(dir, "bad.jsonl");
    const [first] = readFileSync(benchmark, "utf8").split("\n");
    writeFileSync(badBenchmark, `${first}\n{"id": "x2", "instruction": "no input, no answer"}\n`);
    const runs: [string[], RegExp][] = [
      [
        ["--base", join(dir, "nope.gguf"), "--adapter", adapterPath, "--benchmark", benchmark],
        /base model not found/,
      ],
      [["--base", basePath, "--benchmark", benchmark, "--out", out], /pass --adapter with --out/],
      [
        ["--base", basePath, "--adapter", adapterPath, "--benchmark", benchmark, "--type", "vibes"],
        /--type must be one of/,
      ],
      [
        ["--base", basePath, "--adapter", adapterPath, "--benchmark", benchmark, "--max-tokens", "0"],
        /--max-tokens must be 1-4096/,
      ],
      [["--base", basePath], /usage/],
      [
        ["--base", basePath, "--adapter", adapterPath, "--benchmark", badBenchmark],
        /^loragate: .*bad\.jsonl is not a valid benchmark: line 2 \[missing-field\]; /,
      ],
    ];
    for (const [argv, message] of runs) {
      const run = io();
      expect(await runCli(["eval", ...argv, "--out", out], run.io)).toBe(2);
      expect(run.out.stderr).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });
});
