import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mh from "minhash";
import { afterAll, describe, expect, it } from "vitest";
import { generateCorpus, PLANT_KINDS } from "../fixtures/contamination-corpus.ts";
import { type BenchmarkInput, buildBenchmarkIndex } from "../src/core/contamination/benchmark-index.ts";
import { checkContamination } from "../src/core/contamination/check.ts";
import { DEFAULT_BOILERPLATE, scanInProcess } from "../src/core/contamination/engine.ts";
import { tokenHashes, tokenize, tokenHash } from "../src/core/contamination/normalize.ts";
import { scanInWorkers } from "../src/core/contamination/parallel.ts";
import {
  buildReport,
  type ContaminationReport,
  contaminationFindings,
} from "../src/core/contamination/report.ts";
import { ContaminationConfigSchema } from "../src/core/schemas/config.ts";
import { MemoryRegistrySource } from "../src/io/memory-source.ts";

const CONFIG = ContaminationConfigSchema.parse(undefined);
type Example = { instruction: string; input: string; output: string };

/** The check as `loragate check` runs it, on in-memory files. */
async function check(
  training: Example[],
  benchmarks: BenchmarkInput[],
  threads?: number,
): Promise<ContaminationReport> {
  const source = new MemoryRegistrySource({
    "train.jsonl": training.map((e) => JSON.stringify(e)).join("\n"),
  });
  return checkContamination({
    source,
    trainFile: "train.jsonl",
    benchmarks,
    config: CONFIG,
    maxLineBytes: 1 << 20,
    threads,
  });
}
const item = (id: string, input: string, expected_output = "42") => ({
  id,
  instruction: "Answer.",
  input,
  expected_output,
});
const example = (input: string, output = "42") => ({ instruction: "Answer.", input, output });

describe("normalization", () => {
  it("maps case, punctuation and digit runs away, so changed numbers do not hide a copy", () => {
    expect(tokenize("Alice has 12 apples, and buys 3.5 more!")).toEqual([
      "alice",
      "has",
      "0",
      "apples",
      "and",
      "buys",
      "0",
      "0",
      "more",
    ]);
    expect(tokenHashes("ALICE has 7 apples; and buys 1.25 more")).toEqual(
      tokenHashes("alice has 12 apples and buys 3.5 more"),
    );
  });
  it("applies NFKC (full-width letters and digits are their ASCII selves)", () => {
    expect(tokenize("ＡＢＣ１２３ Ｘ")).toEqual(["abc", "0", "x"]);
  });
  it("gives each CJK character its own token and drops emoji", () => {
    expect(tokenize("東京は首都です 😀")).toEqual(["東", "京", "は", "首", "都", "で", "す"]);
  });
  it("hashes ASCII on the fast path exactly as the reference tokenizer would", () => {
    const texts = [
      "Hello, World 42!",
      "a1b2c3",
      "  --  ",
      "x",
      "tab\tseparated\nlines 007",
      "MiXeD CaSe 1e9",
    ];
    for (const text of texts) expect(tokenHashes(text)).toEqual(tokenize(text).map(tokenHash));
  });
});

describe("per-kind detection on a small seeded corpus", async () => {
  const corpus = generateCorpus({ seed: 11, items: 400, clean: 3000, perKind: 25 });
  const report = await check(corpus.training, [{ file: "bench.jsonl", hidden: false, items: corpus.items }]);
  const found = new Set(report.matches.map((m) => `${m.train.line}:${m.benchmark.id}`));
  const recall = (kind: string) => {
    const planted = corpus.planted.filter((p) => p.kind === kind);
    return planted.filter((p) => found.has(`${p.line}:${p.itemId}`)).length / planted.length;
  };

  it.each(PLANT_KINDS.filter((k) => k !== "paraphrase"))("finds every %s copy", (kind) => {
    expect(recall(kind)).toBe(1);
  });
  it("finds most light paraphrases (reported, not a goal)", () => {
    expect(recall("paraphrase")).toBeGreaterThan(0.5);
  });
  it("flags no clean benchmark item", () => {
    const planted = new Set(corpus.planted.map((p) => p.itemId));
    expect(report.matches.filter((m) => !planted.has(m.benchmark.id))).toEqual([]);
  });
  it("names the signal: exact copies as exact, numbers changed as exact too", () => {
    const signalOf = (kind: string) => {
      const p = corpus.planted.find((x) => x.kind === kind)!;
      return report.matches.find((m) => m.train.line === p.line && m.benchmark.id === p.itemId)?.signal;
    };
    expect(signalOf("exact")).toBe("exact");
    expect(signalOf("numbers")).toBe("exact"); // every number, the answer included, is one symbol
    expect(signalOf("embedded")).toBe("containment");
  });
  it("counts contaminated items per benchmark", () => {
    expect(report.summary).toEqual([
      { file: "bench.jsonl", hidden: false, items: 400, contaminated: expect.any(Number), tooShort: 0 },
    ]);
    expect(report.summary[0]!.contaminated).toBeGreaterThanOrEqual(125);
  });
});

describe("Jaccard is exact, and the minhash package agrees within its error", () => {
  it("matches set Jaccard of the n-gram strings for every pair, and MinHash (128 permutations) within 4 sigma", async () => {
    const corpus = generateCorpus({ seed: 5, items: 40, clean: 0, perKind: 6 });
    const items = corpus.items;
    const noBoilerplate = { ...DEFAULT_BOILERPLATE, trainShare: 1, benchmarkShare: 1, minDocuments: 1e9 };
    const index = buildBenchmarkIndex([{ file: "b", hidden: false, items }], 3, noBoilerplate);
    const raw = await scanInProcess({
      index,
      feed: async (add) => corpus.training.forEach((e, i) => add(i + 1, e)),
      thresholds: { containment: 1.1, jaccard: 0.05 },
      boilerplate: noBoilerplate,
    });
    const grams = (text: string) => {
      const t = tokenize(text);
      return new Set(
        t.length < 3 ? [t.join(" ")] : t.slice(0, -2).map((_, i) => t.slice(i, i + 3).join(" ")),
      );
    };
    expect(raw.pairs.length).toBeGreaterThan(20);
    let checked = 0;
    for (const pair of raw.pairs) {
      const { instruction, input, output } = corpus.training[pair.line - 1]!;
      const a = grams(`${instruction}\n${input}\n${output}`); // all the trainer sees
      // A benchmark too small to count (minDocuments 1e9): an instruction before an input is its template.
      const b = grams(`${items[pair.item]!.input}\n${items[pair.item]!.expected_output}`);
      const shared = [...a].filter((g) => b.has(g)).length;
      const exact = shared / (a.size + b.size - shared);
      expect(pair.jaccard).toBeCloseTo(exact, 10);
      const [ma, mb] = [new mh.Minhash(), new mh.Minhash()];
      a.forEach((g) => ma.update(g));
      b.forEach((g) => mb.update(g));
      const sigma = Math.sqrt((exact * (1 - exact)) / 128);
      expect(Math.abs(ma.jaccard(mb) - exact)).toBeLessThanOrEqual(4 * sigma + 0.02);
      checked++;
    }
    expect(checked).toBe(raw.pairs.length);
  });
});

describe("hidden benchmarks", () => {
  it("are reported by id and score only: no text of theirs in findings or JSON", async () => {
    const secret =
      "Quillon measures 31 brass gears beside the old lighthouse every tuesday morning before dawn";
    const report = await check(
      [example(`Warm-up first. ${secret} Then answer.`)],
      [{ file: "hidden:1", hidden: true, items: [item("h-7", secret)] }],
    );
    expect(report.matches).toHaveLength(1);
    expect(report.matches[0]!.benchmark).toEqual({ file: "hidden:1", id: "h-7", hidden: true });
    const out = JSON.stringify({ report, findings: contaminationFindings(report) });
    for (const word of ["Quillon", "lighthouse", "gears"]) expect(out).not.toContain(word);
    expect(contaminationFindings(report)[0]!.message).toContain('item "h-7" of a hidden benchmark');
  });
});

describe("bad input: a clear result, never a crash", () => {
  const text = "Marisol stacks 14 cedar crates beside the ferry terminal while the gulls circle overhead";
  it("empty benchmarks", async () => {
    const report = await check([example(text)], [{ file: "empty.jsonl", hidden: false, items: [] }]);
    expect(report.totalMatches).toBe(0);
    expect(report.summary).toEqual([
      { file: "empty.jsonl", hidden: false, items: 0, contaminated: 0, tooShort: 0 },
    ]);
  });
  it("a benchmark with one item", async () => {
    const report = await check(
      [example(text), example("unrelated words about something else entirely today")],
      [{ file: "one.jsonl", hidden: false, items: [item("only", text)] }],
    );
    expect(report.matches.map((m) => [m.train.line, m.signal])).toEqual([[1, "exact"]]);
  });
  it("identical benchmarks in two domains: each reports its own match", async () => {
    const items = [item("q1", text)];
    const report = await check(
      [example(text)],
      [
        { file: "benchmarks/a/benchmark.jsonl", hidden: false, items },
        { file: "benchmarks/b/benchmark.jsonl", hidden: false, items },
      ],
    );
    expect(report.matches.map((m) => m.benchmark.file)).toEqual([
      "benchmarks/a/benchmark.jsonl",
      "benchmarks/b/benchmark.jsonl",
    ]);
    const [finding] = contaminationFindings(report);
    expect(finding!.message).toMatch(/of benchmarks\/a\/benchmark\.jsonl: .* \(and 1 more item\)$/);
  });
  it("an item hidden in the instruction, which the trainer trains on too, is found", async () => {
    // The trainer's user turn is the instruction, then the input: a question there is learned.
    const filler = Array.from({ length: 30 }, (_, i) => example(`Tom has ${i} pens and ${i + 2} cups.`, "2"));
    const report = await check(
      [...filler, { instruction: text, input: "Go.", output: "42" }],
      [{ file: "b", hidden: false, items: [item("q", text)] }],
    );
    expect(report.matches.map((m) => [m.train.line, m.signal])).toEqual([[31, "containment"]]);
  });
  it("items whose questions are their instructions, under a placeholder input: a copy is found", async () => {
    // The harness asks the instruction, then the input: these items' questions are their instructions,
    // each its own, so none is a template (an adapter's own benchmark has 50 items or more).
    const asked = Array.from({ length: 12 }, (_, i) => ({
      id: `q${i}`,
      instruction: i === 0 ? text : `Count the ${i + 2} red kites over the bay on day ${i}.`,
      input: "Go.",
      expected_output: "42",
    }));
    const report = await check(
      [{ instruction: text, input: "Go.", output: "42" }],
      [{ file: "b", hidden: false, items: asked }],
    );
    expect(report.matches.map((m) => [m.train.line, m.benchmark.id])).toEqual([[1, "q0"]]);
  });
  it("a benchmark's instruction template, used by a few training examples, is no match", async () => {
    const template = "Answer the following question about the shop with one whole number and nothing else.";
    const words = ["pen", "cup", "hat", "box", "mug", "jar", "bag", "rug", "map", "fan"];
    const shop = words.map((w, i) => ({
      id: `s${i}`,
      instruction: template,
      input: `Price of a ${w}?`,
      expected_output: `${i + 3}`,
    }));
    const other = Array.from({ length: 15 }, (_, i) =>
      item(`o${i}`, `Count the ${i + 2} red kites over the bay.`, `${i + 2}`),
    );
    const training = Array.from({ length: 40 }, (_, i) =>
      i % 10 === 0
        ? { instruction: template, input: `Weight of parcel ${i}?`, output: "7" }
        : example(`Sam walks ${i} miles along the canal towpath on day ${i}.`, `${i}`),
    );
    const report = await check(training, [
      { file: "shop", hidden: false, items: shop },
      { file: "other", hidden: false, items: other },
    ]);
    expect(report.matches).toEqual([]);
  });
  it("the pull request's own benchmark cannot make another benchmark's question boilerplate", async () => {
    // Its own items are most of a small registry's: were they counted, a phrase in half of them would
    // be a template for every benchmark, the registry's question among them.
    const registry = [
      item("target", text),
      ...Array.from({ length: 9 }, (_, i) => item(`r${i}`, `Count ${i} kites.`)),
    ];
    const own = Array.from({ length: 30 }, (_, i) => item(`own${i}`, `Part ${i}. ${text}`, `${i}`));
    const report = await check(
      [example(`First this. ${text} Then that, and more besides.`, "7")],
      [
        { file: "benchmarks/r/benchmark.jsonl", hidden: false, items: registry },
        { file: "adapters/a/eval/benchmark.jsonl", hidden: false, own: true, items: own },
      ],
    );
    expect(report.matches.map((m) => m.benchmark.id)).toContain("target");
  });
  it("an item's question repeated in a tenth of the training set is no template: each copy is found", async () => {
    // Boilerplate by training share would drop the question's n-grams if a tenth of the examples held it.
    const training = Array.from({ length: 100 }, (_, i) =>
      i % 10 === 0
        ? example(`Step ${i}: ${text} Think it over.`, `${i}`)
        : example(`Sam walks ${i} miles along the canal towpath on day ${i} of the trip.`, `${i}`),
    );
    const report = await check(training, [{ file: "b", hidden: false, items: [item("q", text)] }]);
    expect(report.matches.map((m) => m.train.line)).toEqual([1, 11, 21, 31, 41, 51, 61, 71, 81, 91]);
  });
  it("a 100k-token example containing an item", async () => {
    const long = Array.from({ length: 50_000 }, (_, i) => `w${i % 5000}`).join(" "); // twice: 100k tokens
    const report = await check(
      [example(`${long} ${text} ${long}`)],
      [{ file: "b", hidden: false, items: [item("q", text)] }],
    );
    expect(report.matches.map((m) => m.signal)).toEqual(["containment"]);
  });
  it("only punctuation and only emoji: no tokens, no match", async () => {
    const report = await check(
      [example("!!! ... ???", "—"), example("😀😀😀", "🎉")],
      [{ file: "b", hidden: false, items: [item("p", "?!?! ...", "!"), item("e", "😀😀", "🎉")] }],
    );
    expect(report.totalMatches).toBe(0);
  });
  it("only digits: numbers alone are never a copy", async () => {
    const report = await check(
      [example("1 2 3 4 5 6 7 8", "9")],
      [{ file: "b", hidden: false, items: [item("d", "10 20 30 40 50 60 70", "80")] }],
    );
    expect(report.totalMatches).toBe(0);
    expect(report.summary[0]!.tooShort).toBe(1);
  });
  it("non-Latin scripts: a Chinese item copied into a longer example is found", async () => {
    const zh = "小明有十二个苹果，他又买了五个苹果，然后给了妹妹三个。请问小明现在有几个苹果？";
    const report = await check(
      [example(`先读题。${zh}答案是十四。`), example("今天天气很好，我们去公园散步吧。")],
      [{ file: "b", hidden: false, items: [item("zh-1", zh, "十四")] }],
    );
    expect(report.matches.map((m) => [m.train.line, m.benchmark.id])).toEqual([[1, "zh-1"]]);
  });
  it("work grows linearly with the training set (no quadratic blow-up)", async () => {
    const work = async (clean: number) => {
      const corpus = generateCorpus({ seed: 3, items: 300, clean, perKind: 0 });
      return (await check(corpus.training, [{ file: "b", hidden: false, items: corpus.items }])).work;
    };
    // Past the first few thousand examples (when every n-gram has been seen once), doubling the
    // training set doubles both the lookups and the candidate pairs.
    const [small, large] = [await work(8000), await work(16000)];
    expect(large.lookups / small.lookups).toBeGreaterThan(1.9);
    expect(large.lookups / small.lookups).toBeLessThan(2.1);
    expect(large.candidates / small.candidates).toBeLessThan(2.4);
  });
});

describe("worker threads", () => {
  const dir = mkdtempSync(join(tmpdir(), "loragate-contamination-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([2, 3])("find exactly what one thread finds, with %i workers", async (threads) => {
    const corpus = generateCorpus({ seed: 21, items: 200, clean: 1500, perKind: 10 });
    const lines = corpus.training.map((e) => JSON.stringify(e));
    lines.splice(500, 0, "not json", "");
    const path = join(dir, `train-${threads}.jsonl`);
    writeFileSync(path, `${lines.join("\n")}\n`);
    const index = buildBenchmarkIndex(
      [{ file: "b", hidden: false, items: corpus.items }],
      3,
      DEFAULT_BOILERPLATE,
    );
    const thresholds = { containment: CONFIG.containment, jaccard: CONFIG.jaccard };
    const parallel = await scanInWorkers({
      index,
      path,
      size: Buffer.byteLength(`${lines.join("\n")}\n`),
      maxLineBytes: 1 << 20,
      thresholds,
      boilerplate: DEFAULT_BOILERPLATE,
      threads,
    });
    const source = new MemoryRegistrySource({ "t.jsonl": `${lines.join("\n")}\n` });
    const single = await checkContamination({
      source,
      trainFile: "t.jsonl",
      benchmarks: [{ file: "b", hidden: false, items: corpus.items }],
      config: CONFIG,
      maxLineBytes: 1 << 20,
      threads: 1,
    });
    const report = buildReport(parallel, index, "t.jsonl", thresholds);
    expect(report.matches).toEqual(single.matches);
    expect(report.matches.length).toBeGreaterThanOrEqual(55);
  });
});
