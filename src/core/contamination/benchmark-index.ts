import { NgramHasher, textFingerprint, U32Map, type U32MapData } from "./hashing.ts";
import { tokenHashes } from "./normalize.ts";

/** A benchmark the training data is compared with. Hidden ones are reported by counts and ids only. */
export interface BenchmarkInput {
  /** Registry-relative file (hidden benchmarks: a label such as `hidden:1`). */
  file: string;
  hidden: boolean;
  items: readonly { id: string; instruction: string; input: string; expected_output: string }[];
}

/** The text of a benchmark item that a leak would copy: its question (input, else instruction) and answer. */
export function itemText(item: { instruction: string; input: string; expected_output: string }): string {
  return `${item.input.trim() ? item.input : item.instruction}\n${item.expected_output}`;
}

/** The text of a training example compared with items; a shared instruction template is left out. */
export function exampleText(example: { instruction: string; input: string; output: string }): string {
  return `${example.input.trim() ? example.input : example.instruction}\n${example.output}`;
}

/** Fewer normalized tokens than this and an exact match means nothing ("0" equals "0"). */
export const MIN_EXACT_TOKENS = 6;

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
  /** Normalized-text fingerprint -> item indices (items with at least MIN_EXACT_TOKENS tokens). */
  exact: [string, number[]][];
}

export interface BenchmarkIndex {
  data: BenchmarkIndexData;
  itemIds: string[];
  benchmarks: { file: string; hidden: boolean; items: number; tooShort: number }[];
}

export function buildBenchmarkIndex(benchmarks: readonly BenchmarkInput[], n: number): BenchmarkIndex {
  const byHash = new Map<number, number[]>();
  const itemIds: string[] = [];
  const itemNgrams: number[] = [];
  const itemBenchmark: number[] = [];
  const exact = new Map<string, number[]>();
  const summary = benchmarks.map((b) => ({
    file: b.file,
    hidden: b.hidden,
    items: b.items.length,
    tooShort: 0,
  }));
  const hasher = new NgramHasher(n);
  benchmarks.forEach((benchmark, b) => {
    for (const item of benchmark.items) {
      const index = itemIds.length;
      const tokens = tokenHashes(itemText(item));
      const hashes = hasher.hashes(tokens);
      itemIds.push(item.id);
      itemNgrams.push(hashes.length);
      itemBenchmark.push(b);
      for (const h of hashes) {
        const list = byHash.get(h);
        if (list) list.push(index);
        else byHash.set(h, [index]);
      }
      if (tokens.length >= MIN_EXACT_TOKENS) {
        const key = textFingerprint(tokens);
        const list = exact.get(key);
        if (list) list.push(index);
        else exact.set(key, [index]);
      } else summary[b]!.tooShort++;
    }
  });
  const table = new U32Map(byHash.size);
  const postingStart = new Uint32Array(byHash.size + 2);
  const postingItems = new Uint32Array([...byHash.values()].reduce((sum, list) => sum + list.length, 0));
  let id = 0;
  let at = 0;
  for (const [hash, list] of byHash) {
    id++;
    table.set(hash, id);
    postingStart[id] = at;
    postingItems.set(list, at);
    at += list.length;
  }
  postingStart[id + 1] = at;
  // The transpose: each item's n-gram ids, ascending (postings were filled in item order).
  const itemStart = new Uint32Array(itemIds.length + 1);
  for (let i = 0; i < itemIds.length; i++) itemStart[i + 1] = itemStart[i]! + itemNgrams[i]!;
  const itemNgramIds = new Uint32Array(at);
  const fill = itemStart.slice(0, -1);
  for (let g = 1; g <= id; g++) {
    for (let p = postingStart[g]!; p < postingStart[g + 1]!; p++) itemNgramIds[fill[postingItems[p]!]!++] = g;
  }
  return {
    data: {
      n,
      table: table.export(),
      postingStart,
      postingItems,
      itemNgrams: Uint32Array.from(itemNgrams),
      itemStart,
      itemNgramIds,
      itemBenchmark: Uint32Array.from(itemBenchmark),
      exact: [...exact],
    },
    itemIds,
    benchmarks: summary,
  };
}

/** Number of distinct n-grams in the index (ids run 1..count). */
export const ngramCount = (data: BenchmarkIndexData) => data.postingStart.length - 2;
