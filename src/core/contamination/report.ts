import type { Finding } from "../findings/findings.ts";
import { counted } from "../text.ts";
import type { BenchmarkIndex } from "./benchmark-index.ts";
import type { RawContamination } from "./engine.ts";
import type { Signal, Thresholds } from "./scan.ts";

export interface ContaminationMatch {
  train: { file: string; line: number };
  /** For hidden benchmarks the file is a label and only the id is given, never text. */
  benchmark: { file: string; id: string; hidden: boolean };
  signal: Signal;
  score: number;
  containment?: number;
  jaccard?: number;
}

export interface ContaminationSummary {
  file: string;
  hidden: boolean;
  items: number;
  /** Items matched by at least one training example. */
  contaminated: number;
  /** Items too short for the exact signal (fewer than MIN_EXACT_WORDS words). */
  tooShort: number;
}

export interface ContaminationReport {
  examples: number;
  /** Every match, strongest signal per (example, item); capped at MAX_LISTED_MATCHES. */
  matches: ContaminationMatch[];
  totalMatches: number;
  summary: ContaminationSummary[];
  boilerplateNgrams: number;
  thresholds: Thresholds;
  /** n-gram lookups and candidate pairs verified: grows linearly with the input. */
  work: { lookups: number; candidates: number };
}

const MAX_LISTED_MATCHES = 10_000;
const round = (x: number) => Math.round(x * 1000) / 1000;

export function buildReport(
  raw: RawContamination,
  index: BenchmarkIndex,
  trainFile: string,
  thresholds: Thresholds,
): ContaminationReport {
  const byPair = new Map<string, ContaminationMatch>();
  const itemOf = (item: number) => {
    const b = index.benchmarks[index.data.itemBenchmark[item]!]!;
    return { file: b.file, id: index.itemIds[item]!, hidden: b.hidden };
  };
  for (const p of raw.pairs) {
    byPair.set(`${p.line}:${p.item}`, {
      train: { file: trainFile, line: p.line },
      benchmark: itemOf(p.item),
      signal: p.signal,
      score: round(p.score),
      containment: round(p.containment),
      jaccard: round(p.jaccard),
    });
  }
  for (const e of raw.exact) {
    const pair = byPair.get(`${e.line}:${e.item}`);
    byPair.set(`${e.line}:${e.item}`, {
      ...pair,
      train: { file: trainFile, line: e.line },
      benchmark: itemOf(e.item),
      signal: "exact",
      score: 1,
    });
  }
  const contaminated = index.benchmarks.map(() => new Set<string>());
  const matches = [...byPair.values()].sort(
    (a, b) =>
      a.train.line - b.train.line ||
      a.benchmark.file.localeCompare(b.benchmark.file) ||
      a.benchmark.id.localeCompare(b.benchmark.id),
  );
  for (const m of matches)
    contaminated[index.benchmarks.findIndex((b) => b.file === m.benchmark.file)]!.add(m.benchmark.id);
  return {
    examples: raw.examples,
    matches: matches.slice(0, MAX_LISTED_MATCHES),
    totalMatches: matches.length,
    summary: index.benchmarks.map((b, i) => ({ ...b, contaminated: contaminated[i]!.size })),
    boilerplateNgrams: raw.boilerplateNgrams,
    thresholds,
    work: raw.work,
  };
}

const describeSignal = (m: ContaminationMatch, t: Thresholds) =>
  m.signal === "exact"
    ? "the same text after normalization (case, punctuation, numbers)"
    : m.signal === "containment"
      ? `${Math.round(m.score * 100)}% of the item's word n-grams appear in this example (containment ${m.score} >= ${t.containment})`
      : `near-duplicate: Jaccard similarity ${m.score} >= ${t.jaccard}`;

const RANK: Record<Signal, number> = { exact: 3, containment: 2, jaccard: 1 };
/** Registry benchmarks first, then adapters' own ones, then hidden: the most useful to name. */
const placeRank = (m: ContaminationMatch) =>
  m.benchmark.hidden ? 0 : m.benchmark.file.startsWith("adapters/") ? 1 : 2;
const stronger = (a: ContaminationMatch, b: ContaminationMatch) =>
  RANK[a.signal] - RANK[b.signal] || a.score - b.score || placeRank(a) - placeRank(b);

/** One finding per contaminated training line (its strongest match), for `loragate check` and annotations. */
export function contaminationFindings(report: ContaminationReport): Finding[] {
  const byLine = new Map<number, { best: ContaminationMatch; count: number }>();
  for (const m of report.matches) {
    const current = byLine.get(m.train.line);
    if (!current) byLine.set(m.train.line, { best: m, count: 1 });
    else {
      current.count++;
      if (stronger(m, current.best) > 0) current.best = m;
    }
  }
  return [...byLine.values()].map(({ best: m, count }) => ({
    file: m.train.file,
    line: m.train.line,
    column: 1,
    field: "",
    rule: `contamination-${m.signal}`,
    severity: "error",
    message:
      (m.benchmark.hidden
        ? `training example matches item "${m.benchmark.id}" of a hidden benchmark (${m.signal}, score ${m.score})`
        : `training example matches benchmark item "${m.benchmark.id}" of ${m.benchmark.file}: ${describeSignal(m, report.thresholds)}`) +
      (count > 1 ? ` (and ${counted(count - 1, "more item")})` : ""),
    hint: "remove or replace this example: an adapter must not train on the questions it is scored on",
  }));
}

/** One line for people: how many benchmark items the training set touches, per benchmark. */
export function summarizeContamination(report: ContaminationReport): string {
  const items = report.summary.reduce((sum, b) => sum + b.items, 0);
  const touched = report.summary.filter((b) => b.contaminated > 0);
  if (touched.length === 0)
    return `contamination: clean against ${items} items in ${report.summary.length} benchmarks`;
  const lines = new Set(report.matches.map((m) => m.train.line)).size;
  const listed = touched
    .slice(0, 5)
    .map((b) => `${b.hidden ? "hidden benchmark" : b.file} ${b.contaminated}/${b.items} items`);
  const more = touched.length > 5 ? `, and ${touched.length - 5} more benchmarks` : "";
  return `contamination: ${lines} training examples match; ${listed.join(", ")}${more}`;
}
