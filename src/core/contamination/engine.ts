import {
  type BenchmarkIndex,
  type BenchmarkIndexData,
  MIN_ITEM_NGRAMS,
  ngramCount,
} from "./benchmark-index.ts";
import {
  BOILERPLATE,
  type PairMatch,
  type ScoringPlan,
  type Thresholds,
  TRAINING_COMMON,
  TrainingScan,
} from "./scan.ts";

/**
 * A question of fewer distinct n-grams than this is never taken as repeated through the training set:
 * a short one can be all formulaic phrases ("what is the total"), common in honest data.
 */
const MIN_REPEATED_QUESTION_NGRAMS = 6;

/** How boilerplate is told apart from a leak; defaults documented in README. */
export interface BoilerplateRule {
  /** An n-gram in at least this share of training examples is a template, not a leak. */
  trainShare: number;
  /**
   * An n-gram in at least this share of all benchmark items is a template; so is an instruction of at
   * least this share of one benchmark's items (left out of that benchmark's items, see buildBenchmarkIndex).
   */
  benchmarkShare: number;
  /** Shares apply from this many documents up, so tiny inputs keep every n-gram. */
  minDocuments: number;
  /** An n-gram shared by more items than this is skipped: it bounds the work per example. */
  maxPosting: number;
}

export const DEFAULT_BOILERPLATE: BoilerplateRule = {
  trainShare: 0.1,
  benchmarkShare: 0.5,
  minDocuments: 10,
  maxPosting: 2048,
};

/**
 * What each n-gram id is: BOILERPLATE (in `benchmarkShare` of the benchmark items, or in more than
 * `maxPosting` of them), TRAINING_COMMON (in `trainShare` of the training examples), or 0. The pull
 * request's own items are left out of the benchmark counts: a contributor's phrase in half of them must
 * not become a template for every benchmark. Returns the own items' counts too (see planScoring).
 */
function classifyNgrams(
  index: BenchmarkIndexData,
  trainDf: Uint32Array,
  trainExamples: number,
  rule: BoilerplateRule,
): { boilerplate: Uint8Array; ownDf: Uint32Array; count: number } {
  const ids = ngramCount(index);
  const { postingStart, postingItems, ownItem } = index;
  const ownDf = new Uint32Array(ids + 1);
  for (let id = 1; id <= ids; id++)
    for (let p = postingStart[id]!; p < postingStart[id + 1]!; p++) ownDf[id]! += ownItem[postingItems[p]!]!;
  const ownItems = ownItem.reduce((sum, own) => sum + own, 0);
  const trainLimit = Math.max(rule.minDocuments, rule.trainShare * trainExamples);
  const benchLimit = Math.max(rule.minDocuments, rule.benchmarkShare * (ownItem.length - ownItems));
  const boilerplate = new Uint8Array(ids + 1);
  let count = 0;
  for (let id = 1; id <= ids; id++) {
    const shared = postingStart[id + 1]! - postingStart[id]! - ownDf[id]!;
    if (shared >= benchLimit || shared > rule.maxPosting) boilerplate[id] = BOILERPLATE;
    else if (trainDf[id]! >= trainLimit) boilerplate[id] = TRAINING_COMMON;
    if (boilerplate[id] !== 0) count++;
  }
  return { boilerplate, ownDf, count };
}

/**
 * Merged phase-1 counts -> the scoring plan: what each n-gram is (classifyNgrams), each item's
 * n-grams that count, and each item's prefix: its counted n-grams that are rarest in the training set,
 * as many as guarantee that an example reaching the lower threshold shares at least one of them.
 */
export function planScoring(
  index: BenchmarkIndexData,
  trainDf: Uint32Array,
  trainExamples: number,
  rule: BoilerplateRule,
  thresholds: Thresholds,
): ScoringPlan & { boilerplateCount: number } {
  const ids = ngramCount(index);
  const items = index.itemNgrams.length;
  const df = (id: number) => index.postingStart[id + 1]! - index.postingStart[id]!;
  const { boilerplate, ownDf, count: boilerplateCount } = classifyNgrams(index, trainDf, trainExamples, rule);
  // An own item drops an n-gram in more than maxPosting of the own items too: that bounds the work.
  const dropped = (item: number, id: number) =>
    boilerplate[id] === BOILERPLATE || (index.ownItem[item] === 1 && ownDf[id]! > rule.maxPosting);
  // Training-common n-grams are left out of an item (a template shares a few of them with it), unless
  // they are its whole question: then the question itself is repeated through the training set.
  const { questionStart, questionIds } = index;
  const questionRepeated = (item: number) =>
    questionStart[item + 1]! - questionStart[item]! >= MIN_REPEATED_QUESTION_NGRAMS &&
    questionIds
      .subarray(questionStart[item], questionStart[item + 1])
      .every((id) => boilerplate[id] === TRAINING_COMMON);
  // Jaccard >= j implies containment >= j, so one prefix serves both signals.
  const t = Math.min(thresholds.containment, thresholds.jaccard);
  const itemUseful = new Uint32Array(items);
  const keepsTrainingCommon = new Uint8Array(items);
  const usefulStart = new Uint32Array(items + 1);
  const usefulIds: number[] = [];
  const prefixCount = new Uint32Array(ids + 2);
  const prefixes: number[][] = [];
  for (let item = 0; item < items; item++) {
    keepsTrainingCommon[item] = questionRepeated(item) ? 1 : 0;
    const useful: number[] = [];
    for (let p = index.itemStart[item]!; p < index.itemStart[item + 1]!; p++) {
      const id = index.itemNgramIds[p]!;
      if (dropped(item, id)) continue;
      if (boilerplate[id] === TRAINING_COMMON && keepsTrainingCommon[item] === 0) continue;
      useful.push(id);
    }
    usefulStart[item + 1] = usefulStart[item]! + useful.length;
    for (const id of useful) usefulIds.push(id);
    // Too few n-grams to judge overlap ("0 0 0" in an all-digit item): the exact signal only.
    if (useful.length < MIN_ITEM_NGRAMS) {
      prefixes.push([]);
      continue;
    }
    itemUseful[item] = useful.length;
    // Any fixed order keeps the filter exact; rarest-in-training first makes the fewest candidates.
    useful.sort((a, b) => trainDf[a]! - trainDf[b]! || df(a) - df(b) || a - b);
    const prefix = useful.slice(0, useful.length - Math.ceil(t * useful.length) + 1);
    prefixes.push(prefix);
    for (const id of prefix) prefixCount[id]!++;
  }
  const prefixStart = new Uint32Array(ids + 2);
  for (let id = 1; id <= ids; id++) prefixStart[id + 1] = prefixStart[id]! + prefixCount[id]!;
  const prefixItems = new Uint32Array(prefixStart[ids + 1]!);
  const fill = prefixStart.slice();
  prefixes.forEach((prefix, item) => {
    for (const id of prefix) prefixItems[fill[id]!++] = item;
  });
  return {
    boilerplate,
    itemUseful,
    keepsTrainingCommon,
    usefulStart,
    usefulIds: Uint32Array.from(usefulIds),
    prefixStart,
    prefixItems,
    boilerplateCount,
  };
}

export interface RawContamination {
  exact: { line: number; item: number }[];
  pairs: PairMatch[];
  examples: number;
  boilerplateNgrams: number;
  work: TrainingScan["work"];
}

/** One-thread contamination scan; `feed` calls `add` for every training example, in file order. */
export async function scanInProcess(params: {
  index: BenchmarkIndex;
  feed: (
    add: (line: number, example: { instruction: string; input: string; output: string }) => void,
  ) => Promise<unknown>;
  thresholds: Thresholds;
  boilerplate?: BoilerplateRule;
}): Promise<RawContamination> {
  const scan = new TrainingScan(params.index.data);
  await params.feed((line, example) => scan.add(line, example));
  const plan = planScoring(
    params.index.data,
    scan.trainDf,
    scan.examples,
    params.boilerplate ?? DEFAULT_BOILERPLATE,
    params.thresholds,
  );
  return {
    exact: scan.exactMatches,
    pairs: scan.score(plan, params.thresholds),
    examples: scan.examples,
    boilerplateNgrams: plan.boilerplateCount,
    work: scan.work,
  };
}
