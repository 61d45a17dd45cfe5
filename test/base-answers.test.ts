/**
 * The base's answers are generated once and reused: `loragate eval --cache DIR` on the demo's files
 * (the fixture base, the trained fixture adapter, the bundled registry) asks the base nothing the
 * second time and scores the same; an entry whose key differs by a byte, or that answers other items,
 * is never used.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ResultsSchema } from "../src/core/schemas/results.ts";
import { type BaseAnswerKey, BaseAnswerStore, keyDigest } from "../src/eval/base-answers.ts";
import { fixtureBaseOf } from "../src/eval/fixture-model.ts";
import { cli } from "./support/cli.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-base-answers-"));
const base = join(dir, "base.gguf");
writeFileSync(base, fixtureBaseOf(FIXTURE_ROOT).gguf);
const adapter = join(FIXTURE_ROOT, "..", "trained", "math-gsm8k-trained.gguf");
const MATH = join(FIXTURE_ROOT, "benchmarks", "math", "benchmark.jsonl");

const readResults = (file: string) => ResultsSchema.parse(JSON.parse(readFileSync(file, "utf8")));
/** What a results.json measured: every benchmark's items, scores and answer tallies. */
const measured = (file: string) =>
  readResults(file).benchmarks.map(({ base_answers: _, ...benchmark }) => benchmark);

describe("loragate eval --cache DIR", () => {
  it("a second evaluation of the demo's files on the same base and benchmarks asks the base nothing", async () => {
    const cache = join(dir, "registry-cache");
    const run = async (out: string) => {
      const r = await cli(
        ...["eval", "--base", base, "--adapter", adapter, "--registry", FIXTURE_ROOT, "--name", "math-gsm8k"],
        ...["--out", out, "--cache", cache, "--parallel", "8"],
      );
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    const first = await run(join(dir, "first.json"));
    expect(first.stderr).toContain("base model: 240 items to answer, 0 reused");
    const second = await run(join(dir, "second.json"));
    expect(second.stderr).toContain("base model: 0 items to answer, 240 reused");
    expect(second.stderr).toContain("base passes so far in this run: 0");
    expect(second.stdout).toBe(first.stdout); // the same scores, line for line
    expect(measured(join(dir, "second.json"))).toEqual(measured(join(dir, "first.json")));

    const before = readResults(join(dir, "first.json"));
    const after = readResults(join(dir, "second.json"));
    expect(before.base_answers).toMatchObject({ passes: 1, items_generated: 240, items_reused: 0 });
    expect(after.base_answers).toMatchObject({ passes: 0, items_generated: 0, items_reused: 240 });
    expect(after.base_answers!.seconds_saved).toBeCloseTo(before.base_answers!.seconds_spent, 6);
    // each benchmark says where its base answers came from, and which run generated them
    for (const [i, benchmark] of after.benchmarks.entries()) {
      const generated = before.benchmarks[i]!.base_answers!;
      expect(generated.from).toBe("this run");
      expect(benchmark.base_answers).toEqual({ ...generated, from: "cache" });
      expect(generated.run).toMatch(/^loragate eval at \d{4}-/);
    }
    expect(readdirSync(cache).sort()).toEqual(
      after.benchmarks.map((b) => `${b.base_answers!.key_sha256}.json`).sort(),
    );
  }, 300_000);

  it("an entry kept under another key, or for other items, is not used; other settings are another key", async () => {
    const cache = join(dir, "file-cache");
    const evaluate = (...extra: string[]) =>
      cli(
        "eval",
        "--base",
        base,
        "--benchmark",
        MATH,
        "--type",
        "numeric",
        "--max-tokens",
        "24",
        "--cache",
        cache,
        ...extra,
      );
    const first = await evaluate("--out", join(dir, "a.json"), "--adapter", adapter);
    expect(first.code, first.stderr).toBe(0);
    const [entryFile] = readdirSync(cache);
    const path = join(cache, entryFile!);
    const entry = JSON.parse(readFileSync(path, "utf8"));

    // the same file name, a key that differs in one field: generated again, and said so
    writeFileSync(path, JSON.stringify({ ...entry, key: { ...entry.key, hardware: "local CPU " } }));
    const tampered = await evaluate();
    expect(tampered.stderr).toContain("were kept under another key: generated again");
    expect(tampered.stderr).toContain("base model: 60 items to answer, 0 reused");

    // the right key, answers for other items (one id changed): generated again
    writeFileSync(path, JSON.stringify({ ...entry, ids: ["other", ...entry.ids.slice(1)] }));
    const otherItems = await evaluate();
    expect(otherItems.stderr).toContain("answer other items: generated again");
    expect(otherItems.stderr).toContain("base model: 60 items to answer, 0 reused");

    // a damaged file is not JSON: generated again, never a crash
    writeFileSync(path, "{ not json");
    const damaged = await evaluate();
    expect(damaged.code).toBe(0);
    expect(damaged.stderr).toContain("are not JSON: generated again");

    // the intact entry again is used; a change of decoding or prompt rule is another key
    writeFileSync(path, JSON.stringify(entry));
    expect((await evaluate()).stderr).toContain("base model: 0 items to answer, 60 reused");
    for (const other of [["--max-tokens", "25"], ["--seed", "7"], ["--re2"], ["--parallel", "2"]]) {
      const r = await evaluate(...other);
      expect(r.stderr, other.join(" ")).toContain("base model: 60 items to answer, 0 reused");
    }
  }, 300_000);
});

describe("the shared base-answer folder", () => {
  const key = (benchmark: string): BaseAnswerKey => ({
    format: "loragate-base-answers/1",
    base_gguf_sha256: "a".repeat(64),
    benchmark_sha256: benchmark.repeat(64),
    item_ids_sha256: "c".repeat(64),
    harness: "loragate-eval/3",
    prompt_rule: { rule: "benchmarkMessages/1", re2: false },
    chat_template_sha256: "none",
    prompts_sha256: "d".repeat(64),
    decoding: { temperature: 0, top_p: 1, repeat_penalty: 1, seed: 42, max_tokens: 8, parallel: 1 },
    engine: "node-llama-cpp test",
    hardware: "test",
  });
  const entry = { ids: ["1"], answers: [{ text: "4", hitMaxTokens: false }], run: "run 1", seconds: 2 };

  it("keeps a hidden benchmark's answers in memory only, and leaves in the folder only what the run used", () => {
    const folder = join(dir, "shared");
    mkdirSync(folder);
    writeFileSync(join(folder, `${"9".repeat(64)}.json`), "an entry of an older registry state");
    const store = new BaseAnswerStore({
      dir: folder,
      run: "run 1",
      context: { chatTemplateSha256: "none", engine: "e", hardware: "h" },
    });
    store.keep(key("1"), entry, true);
    store.keep(key("2"), entry, false); // hidden: its answers could quote hidden items
    expect(store.find(key("2"), ["1"])).toEqual(entry); // the next seed still reuses it
    const saved = store.prune("loragate-base-answers-all-");
    expect(readdirSync(folder)).toEqual([`${keyDigest(key("1"))}.json`]);
    expect(saved).toBe(
      `loragate-base-answers-all-${createHash("sha256")
        .update(keyDigest(key("1")))
        .digest("hex")}`,
    );
    // the next run finds it under the same key only
    const next = new BaseAnswerStore({
      dir: folder,
      run: "run 2",
      context: { chatTemplateSha256: "none", engine: "e", hardware: "h" },
    });
    expect(next.find(key("1"), ["1"])).toEqual(entry);
    expect(next.find({ ...key("1"), hardware: "other" }, ["1"])).toBeUndefined();
    expect(next.find(key("2"), ["1"])).toBeUndefined();
  });
});
