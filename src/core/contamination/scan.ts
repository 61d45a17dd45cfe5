import { type BenchmarkIndexData, exampleText, MIN_EXACT_TOKENS, ngramCount } from "./benchmark-index.ts";
import { NgramHasher, textFingerprint, U32Map } from "./hashing.ts";
import { tokenHashes } from "./normalize.ts";

/** Which signal flagged a pair, strongest first. */
export type Signal = "exact" | "containment" | "jaccard";

export interface PairMatch {
  /** Training file line. */
  line: number;
  /** Item index in the benchmark index. */
  item: number;
  signal: Signal;
  /** Score of that signal: 1 for exact; the share for the others. */
  score: number;
  containment: number;
  jaccard: number;
}

export interface Thresholds {
  containment: number;
  jaccard: number;
}

/**
 * What phase 2 needs once the boilerplate is known: which n-gram ids to ignore, each item's
 * remaining n-gram count, and the prefix index (the rarest n-grams of each item, enough that any
 * example over the threshold must contain one of them: the prefix filter of set-similarity joins).
 */
export interface ScoringPlan {
  boilerplate: Uint8Array;
  itemUseful: Uint32Array;
  prefixStart: Uint32Array;
  prefixItems: Uint32Array;
}

/**
 * Phase 1 over training examples (in one thread or in each worker): which index n-grams each
 * example contains, how many training examples contain each index n-gram, and exact matches.
 * Phase 2 (score) runs once boilerplate n-grams are known from the merged counts.
 */
export class TrainingScan {
  private readonly table: U32Map;
  private readonly exact: Map<string, number[]>;
  /** Training examples containing each index n-gram (document frequency), by n-gram id. */
  readonly trainDf: Uint32Array;
  examples = 0;
  private lines: number[] = [];
  private ngrams: number[] = [];
  private hitStart: number[] = [0];
  private hits: number[] = [];
  readonly exactMatches: { line: number; item: number }[] = [];
  /** Work done, to show that it grows linearly: n-gram lookups (phase 1), candidate pairs verified (phase 2). */
  readonly work = { lookups: 0, candidates: 0 };
  private readonly hasher: NgramHasher;
  private readonly tokens: number[] = [];

  constructor(private readonly index: BenchmarkIndexData) {
    this.hasher = new NgramHasher(index.n);
    this.table = U32Map.import(index.table);
    this.exact = new Map(index.exact);
    this.trainDf = new Uint32Array(ngramCount(index) + 1);
  }

  add(line: number, example: { instruction: string; input: string; output: string }): void {
    this.examples++;
    const tokens = tokenHashes(exampleText(example), this.tokens);
    if (tokens.length >= MIN_EXACT_TOKENS) {
      for (const item of this.exact.get(textFingerprint(tokens)) ?? [])
        this.exactMatches.push({ line, item });
    }
    const hashes = this.hasher.hashes(tokens);
    const before = this.hits.length;
    this.work.lookups += hashes.length;
    for (let i = 0; i < hashes.length; i++) {
      const id = this.table.get(hashes[i]!);
      if (id !== 0) {
        this.hits.push(id);
        this.trainDf[id]!++;
      }
    }
    if (this.hits.length > before) {
      this.lines.push(line);
      this.ngrams.push(hashes.length);
      this.hitStart.push(this.hits.length);
    }
  }

  /** Phase 2: candidates through the prefix index, then the exact overlap by merging sorted ids. */
  score(plan: ScoringPlan, thresholds: Thresholds): PairMatch[] {
    const { itemStart, itemNgramIds } = this.index;
    const { boilerplate, itemUseful, prefixStart, prefixItems } = plan;
    const seenBy = new Int32Array(itemUseful.length).fill(-1);
    const out: PairMatch[] = [];
    const ids: number[] = [];
    for (let e = 0; e < this.lines.length; e++) {
      ids.length = 0;
      for (let h = this.hitStart[e]!; h < this.hitStart[e + 1]!; h++)
        if (boilerplate[this.hits[h]!] !== 1) ids.push(this.hits[h]!);
      if (ids.length === 0) continue;
      ids.sort((a, b) => a - b);
      const exampleUseful = this.ngrams[e]! - (this.hitStart[e + 1]! - this.hitStart[e]! - ids.length);
      for (const id of ids) {
        for (let p = prefixStart[id]!; p < prefixStart[id + 1]!; p++) {
          const item = prefixItems[p]!;
          if (seenBy[item] === e) continue;
          seenBy[item] = e;
          this.work.candidates++;
          const shared = overlap(ids, itemNgramIds, itemStart[item]!, itemStart[item + 1]!);
          const itemTotal = itemUseful[item]!;
          const containment = shared / itemTotal;
          const jaccard = shared / (exampleUseful + itemTotal - shared);
          if (containment >= thresholds.containment || jaccard >= thresholds.jaccard) {
            const signal = containment >= thresholds.containment ? "containment" : "jaccard";
            out.push({
              line: this.lines[e]!,
              item,
              signal,
              score: signal === "containment" ? containment : jaccard,
              containment,
              jaccard,
            });
          }
        }
      }
    }
    return out;
  }
}

/** Size of the intersection of two ascending id lists (boilerplate ids are never in `a`). */
function overlap(a: readonly number[], b: Uint32Array, from: number, to: number): number {
  let shared = 0;
  let i = 0;
  let j = from;
  while (i < a.length && j < to) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      shared++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return shared;
}
