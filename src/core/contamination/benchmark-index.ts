import type { BoilerplateRule } from "./engine.ts";
import { NgramHasher, textFingerprint, U32Map, type U32MapData } from "./hashing.ts";
import { appendTokenHashes, NUMBER_HASH, TokenList } from "./normalize.ts";

/** A benchmark the training data is compared with. Hidden ones are reported by counts and ids only. */
export interface BenchmarkInput {
  /** Registry-relative file (hidden benchmarks: a label such as `hidden:1`). */
  file: string;
  hidden: boolean;
  /**
   * The checked adapter's own benchmark: written in the pull request, so its items never decide what is
   * boilerplate for the others (see planScoring).
   */
  own?: boolean;
  items: readonly BenchmarkText[];
}

/** What contamination compares of a benchmark item. */
export interface BenchmarkText {
  id: string;
  instruction: string;
  input: string;
  expected_output?: string;
  answer_keywords?: readonly string[];
}

/** The item's answer as text: expected_output, or its keywords when only those are given. */
const referenceAnswer = (item: Omit<BenchmarkText, "id" | "instruction" | "input">): string =>
  item.expected_output ?? item.answer_keywords?.join(" ") ?? "";

/**
 * The tokens compared of a training example or a benchmark item: all the model is shown and taught,
 * its instruction (a chat's system turns), input and answer, so no question hides in the instruction
 * (the trainer and the harness both put the instruction before the input). Replaces `out`; returns where
 * the exact signal starts reading: at the input (at the instruction when the input is empty), so a copy
 * under another instruction template is still an exact copy. A shared template is boilerplate.
 */
export function promptAndAnswerTokens(
  text: { instruction: string; input: string },
  answer: string,
  out: TokenList,
): number {
  out.clear();
  appendTokenHashes(text.instruction, out);
  const exactFrom = text.input.trim() ? out.length : 0;
  appendTokenHashes(text.input, out);
  appendTokenHashes(answer, out);
  return exactFrom;
}

/** Fewer word tokens than this and an exact match means nothing ("0" equals "0"; numbers are one symbol). */
export const MIN_EXACT_WORDS = 4;
/** Fewer distinct n-grams (after boilerplate) than this and an item is judged by the exact signal only. */
export const MIN_ITEM_NGRAMS = 3;

/** Whether tokens[from..] are long enough for their exact fingerprint to mean something. */
export function exactEligible(tokens: ArrayLike<number>, from = 0): boolean {
  let words = 0;
  for (let i = from; i < tokens.length && words < MIN_EXACT_WORDS; i++)
    if (tokens[i] !== NUMBER_HASH) words++;
  return words >= MIN_EXACT_WORDS;
}

/**
 * Every benchmark item's n-grams in one inverted index, as typed arrays that can be sent to
 * workers: n-gram hash -> n-gram id (1-based) -> the items containing it (CSR postings).
 */
export interface BenchmarkIndexData {
  n: number;
  table: U32MapData;
  /** postings of n-gram id g: postingItems[postingStart[g] .. postingStart[g + 1]) */
  postingStart: Uint32Array;
  postingItems: Uint32Array;
  /** Distinct n-grams per item. */
  itemNgrams: Uint32Array;
  /** n-gram ids of item i, ascending: itemNgramIds[itemStart[i] .. itemStart[i + 1]) */
  itemStart: Uint32Array;
  itemNgramIds: Uint32Array;
  /** Item index -> benchmark index. */
  itemBenchmark: Uint32Array;
  /** 1 for the items of the own benchmark (BenchmarkInput.own). */
  ownItem: Uint8Array;
  /** n-gram ids of item i's question alone (no answer): questionIds[questionStart[i] .. questionStart[i + 1]) */
  questionStart: Uint32Array;
  questionIds: Uint32Array;
  /** Normalized-text fingerprint -> item indices (items with at least MIN_EXACT_WORDS words). */
  exact: [string, number[]][];
}

export interface BenchmarkIndex {
  data: BenchmarkIndexData;
  itemIds: string[];
  /** Per benchmark; `tooShort` counts items under MIN_EXACT_WORDS words (no exact signal). */
  benchmarks: { file: string; hidden: boolean; items: number; tooShort: number }[];
}

/**
 * Which of a benchmark's items leave their instruction out as a template: those asking the instruction
 * that at least `benchmarkShare` of the items ask before their own input (from `minDocuments` items up).
 * A smaller benchmark (a maintainer's few hidden items) cannot be counted: there, an instruction before
 * an input is taken as the template. Decided per benchmark, so a training example under the same
 * template is not a copy of every item, and no other benchmark's scoring depends on this one's items.
 */
function instructionIsTemplate(
  items: readonly BenchmarkText[],
  rule: BoilerplateRule,
): (item: BenchmarkText) => boolean {
  const asksInput = (item: BenchmarkText) => item.input.trim() !== "";
  if (items.length < rule.minDocuments) return asksInput;
  const counts = new Map<string, number>();
  for (const item of items.filter(asksInput))
    counts.set(item.instruction, (counts.get(item.instruction) ?? 0) + 1);
  const template = [...counts].find(([, count]) => count >= rule.benchmarkShare * items.length)?.[0];
  return (item) => asksInput(item) && item.instruction === template;
}

export function buildBenchmarkIndex(
  benchmarks: readonly BenchmarkInput[],
  n: number,
  rule: BoilerplateRule,
): BenchmarkIndex {
  const table = new U32Map(1 << 12); // n-gram hash -> id, ids in order of first sight
  const pairItem: number[] = []; // (item, n-gram id) pairs, in item order
  const pairId: number[] = [];
  const itemIds: string[] = [];
  const itemBenchmark: number[] = [];
  const itemStart: number[] = [0];
  const questionStart: number[] = [0];
  const questionIds: number[] = [];
  const exact = new Map<string, number[]>();
  const summary = benchmarks.map((b) => ({
    file: b.file,
    hidden: b.hidden,
    items: b.items.length,
    tooShort: 0,
  }));
  const hasher = new NgramHasher(n);
  const tokens = new TokenList();
  for (let b = 0; b < benchmarks.length; b++) {
    const isTemplate = instructionIsTemplate(benchmarks[b]!.items, rule);
    for (const item of benchmarks[b]!.items) {
      const index = itemIds.length;
      const asked = isTemplate(item) ? { instruction: "", input: item.input } : item;
      // The question's tokens (their own n-grams below), then the answer's after them.
      const exactFrom = promptAndAnswerTokens(asked, "", tokens);
      const questionEnd = tokens.length;
      appendTokenHashes(referenceAnswer(item), tokens);
      const all = tokens.view();
      itemIds.push(item.id);
      itemBenchmark.push(b);
      for (const h of hasher.hashes(all)) {
        let id = table.get(h);
        if (id === 0) table.set(h, (id = table.size + 1));
        pairItem.push(index);
        pairId.push(id);
      }
      itemStart.push(pairId.length);
      for (const h of hasher.hashes(all.subarray(0, questionEnd))) {
        const id = table.get(h); // 0 for a question shorter than n: its one n-gram is not the item's
        if (id !== 0) questionIds.push(id);
      }
      questionStart.push(questionIds.length);
      if (exactEligible(all, exactFrom)) {
        const key = textFingerprint(all, exactFrom);
        const list = exact.get(key);
        if (list) list.push(index);
        else exact.set(key, [index]);
      } else summary[b]!.tooShort++;
    }
  }
  // Postings (n-gram id -> items) by a counting sort of the pairs; items stay ascending.
  const ids = table.size;
  const postingStart = new Uint32Array(ids + 2);
  for (const id of pairId) postingStart[id + 1]!++;
  for (let id = 1; id <= ids + 1; id++) postingStart[id]! += postingStart[id - 1]!;
  const postingItems = new Uint32Array(pairId.length);
  const fill = postingStart.slice();
  for (let k = 0; k < pairId.length; k++) postingItems[fill[pairId[k]!]!++] = pairItem[k]!;
  // Each item's n-gram ids, ascending (for merging with an example's).
  const itemNgramIds = Uint32Array.from(pairId);
  for (let i = 0; i + 1 < itemStart.length; i++) itemNgramIds.subarray(itemStart[i], itemStart[i + 1]).sort();
  const starts = Uint32Array.from(itemStart);
  return {
    data: {
      n,
      table: table.export(),
      postingStart,
      postingItems,
      itemNgrams: starts.subarray(1).map((end, i) => end - starts[i]!),
      itemStart: starts,
      itemNgramIds,
      itemBenchmark: Uint32Array.from(itemBenchmark),
      ownItem: Uint8Array.from(itemBenchmark, (b) => (benchmarks[b]!.own ? 1 : 0)),
      questionStart: Uint32Array.from(questionStart),
      questionIds: Uint32Array.from(questionIds),
      exact: [...exact],
    },
    itemIds,
    benchmarks: summary,
  };
}

/** Number of distinct n-grams in the index (ids run 1..count). */
export const ngramCount = (data: BenchmarkIndexData) => data.postingStart.length - 2;
