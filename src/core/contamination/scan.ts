import {
  type BenchmarkIndexData,
  exactEligible,
  ngramCount,
  promptAndAnswerTokens,
} from "./benchmark-index.ts";
import type { TrainingText } from "../dataset/conversation.ts";
import { NgramHasher, textFingerprint, U32Map } from "./hashing.ts";
import { TokenList } from "./normalize.ts";

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

/** boilerplate[id]: a template of the benchmarks (or in too many items to index), never counted. */
export const BOILERPLATE = 1;
/** boilerplate[id]: common in the training set; counted only for an item whose whole question it is. */
export const TRAINING_COMMON = 2;

/**
 * What phase 2 needs once the boilerplate is known: what each n-gram id is (0, BOILERPLATE or
 * TRAINING_COMMON), each item's n-grams that count (usefulIds[usefulStart[i] .. usefulStart[i + 1]),
 * their number, whether training-common ones are among them, and the prefix index (the rarest n-grams of
 * each item, enough that any example over the threshold must contain one of them: the prefix filter of
 * set-similarity joins).
 */
export interface ScoringPlan {
  boilerplate: Uint8Array;
  itemUseful: Uint32Array;
  keepsTrainingCommon: Uint8Array;
  usefulStart: Uint32Array;
  usefulIds: Uint32Array;
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
  /** One bit per hash bucket of the index's n-grams: most misses end here, in cache. */
  private readonly present: Uint32Array;
  private readonly presentShift: number;
  private readonly exact: Map<string, number[]>;
  /** Training examples containing each index n-gram (document frequency), by n-gram id. */
  readonly trainDf: Uint32Array;
  examples = 0;
  // Per example with at least one hit: its line, its distinct n-gram count, where its hits start.
  private readonly lines = new GrowableU32();
  private readonly ngrams = new GrowableU32();
  private readonly hitStart = new GrowableU32().push(0);
  private readonly hits = new GrowableU32();
  readonly exactMatches: { line: number; item: number }[] = [];
  /** Work done, to show that it grows linearly: n-gram lookups (phase 1), candidate pairs verified (phase 2). */
  readonly work = { lookups: 0, candidates: 0 };
  private readonly hasher: NgramHasher;
  private readonly tokens = new TokenList();

  constructor(private readonly index: BenchmarkIndexData) {
    this.hasher = new NgramHasher(index.n);
    this.table = U32Map.import(index.table);
    ({ bits: this.present, shift: this.presentShift } = presenceBits(index));
    this.exact = new Map(index.exact);
    this.trainDf = new Uint32Array(ngramCount(index) + 1);
  }

  add(line: number, example: TrainingText): void {
    this.examples++;
    const exactFrom = promptAndAnswerTokens(example, example.output, this.tokens);
    const tokens = this.tokens.view();
    if (exactEligible(tokens, exactFrom)) {
      for (const item of this.exact.get(textFingerprint(tokens, exactFrom)) ?? [])
        this.exactMatches.push({ line, item });
    }
    const hashes = this.hasher.hashes(tokens);
    const before = this.hits.length;
    this.work.lookups += hashes.length;
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i]!;
      const bit = h >>> this.presentShift;
      if ((this.present[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
      const id = this.table.get(h);
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

  /** Phase 2: candidates through the prefix index, then the exact overlap of each candidate. */
  score(plan: ScoringPlan, thresholds: Thresholds): PairMatch[] {
    const { boilerplate, itemUseful, keepsTrainingCommon, usefulStart, usefulIds, prefixStart, prefixItems } =
      plan;
    const seenBy = new Int32Array(itemUseful.length).fill(-1);
    // inExample[id] === e + 1 while example e is scored: overlap is a walk over the item's ids.
    const inExample = new Int32Array(ngramCount(this.index) + 1);
    const out: PairMatch[] = [];
    const [lines, ngrams, hitStart, hits] = [
      this.lines.values(),
      this.ngrams.values(),
      this.hitStart.values(),
      this.hits.values(),
    ];
    for (let e = 0; e < lines.length; e++) {
      const from = hitStart[e]!;
      const to = hitStart[e + 1]!;
      // The example's n-gram count without boilerplate, and also without training-common ones.
      let exampleAll = ngrams[e]!;
      let exampleUseful = exampleAll;
      for (let h = from; h < to; h++) {
        const kind = boilerplate[hits[h]!];
        if (kind === BOILERPLATE) exampleAll--;
        else inExample[hits[h]!] = e + 1;
        if (kind !== 0) exampleUseful--;
      }
      for (let h = from; h < to; h++) {
        const id = hits[h]!;
        for (let p = prefixStart[id]!; p < prefixStart[id + 1]!; p++) {
          const item = prefixItems[p]!;
          if (seenBy[item] === e) continue;
          seenBy[item] = e;
          this.work.candidates++;
          let shared = 0;
          for (let k = usefulStart[item]!; k < usefulStart[item + 1]!; k++)
            if (inExample[usefulIds[k]!] === e + 1) shared++;
          const itemTotal = itemUseful[item]!;
          const containment = shared / itemTotal;
          const exampleTotal = keepsTrainingCommon[item] === 1 ? exampleAll : exampleUseful;
          const jaccard = shared / (exampleTotal + itemTotal - shared);
          if (containment >= thresholds.containment || jaccard >= thresholds.jaccard) {
            const signal = containment >= thresholds.containment ? "containment" : "jaccard";
            out.push({
              line: lines[e]!,
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

/** An append-only uint32 list in a typed array (a number[] of millions of hits costs far more). */
class GrowableU32 {
  private data = new Uint32Array(1024);
  length = 0;

  push(value: number): this {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
    return this;
  }

  values(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

/** A one-hash Bloom filter of the index's n-gram hashes, 16 bits per n-gram (about 6% false hits). */
function presenceBits(index: BenchmarkIndexData): { bits: Uint32Array; shift: number } {
  const log2 = Math.min(27, Math.max(10, Math.ceil(Math.log2(Math.max(1, ngramCount(index)) * 16))));
  const bits = new Uint32Array(2 ** (log2 - 5));
  const shift = 32 - log2;
  const { slots } = index.table;
  for (let at = 0; at < slots.length; at += 2) {
    if (slots[at + 1] === 0) continue;
    const bit = slots[at]! >>> shift;
    bits[bit >>> 5]! |= 1 << (bit & 31);
  }
  return { bits, shift };
}
