/**
 * `npm run bench -- --quick [NAME...]`: every benchmark small (a minute or two in all on 2 cores), each
 * figure a ratio against its anchor measured in the same run, so a loaded machine moves both sides
 * alike. Each is compared with benchmarks/results/quick.json (the same quick sizes, recorded with
 * `--record` beside the full results) and with its goal where the full benchmark has one for the same
 * ratio; the run fails, naming the figure, when one is more than 20% worse than recorded or misses its goal
 * in each of three runs of its bench.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchAppValidate } from "./app-validate.ts";
import { checkProcessSeconds } from "./check-process.ts";
import { ensureCorpusFiles, ensureInvalidFile, ensureTrainingFile } from "./datasets.ts";
import { quickEvaluation } from "./evaluation.ts";
import { quickSite } from "./site.ts";
import { quickTraining } from "./training.ts";
import { CHECK_GOAL, type Figure, machine, TOLERANCE, verdict } from "./figures.ts";

const RESULTS = join(import.meta.dirname, "results", "quick.json");

const quick: Record<string, () => Promise<Figure[]>> = {
  validate: quickValidate,
  contamination: quickContamination,
  app: quickApp,
  evaluation: quickEvaluation,
  training: quickTraining,
  site: async () => quickSite(),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** A figure's value as the median of its rounds, with the rounds (printed as their range). */
const medianOf = (rounds: number[]) => ({ value: median(rounds), rounds });

function child<T>(script: string, ...args: string[]): T {
  const out = execFileSync(process.execPath, [join(import.meta.dirname, script), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as T;
}

/**
 * Each round's ratio, to take their median: a round measures both sides back to back, so a change in the
 * machine's load between rounds moves both (a ratio of medians taken minutes apart does not).
 */
function ratioRounds(rounds: number, round: () => number): number[] {
  return Array.from({ length: rounds }, round);
}

async function quickValidate(): Promise<Figure[]> {
  const file = await ensureTrainingFile(32e6, "train-32mb.jsonl");
  const invalid = ensureInvalidFile(500_000);
  type Run = { seconds: number; records: number; mbPerSecond: number };
  const rounds = Array.from({ length: 5 }, () => ({
    baseline: child<Run>("validate-child.mjs", "baseline", file),
    valid: child<Run>("validate-child.mjs", "loragate-1", file),
    invalid: child<Run>("validate-child.mjs", "invalid", invalid),
  }));
  const usPerLine = (r: Run) => (r.seconds * 1e6) / r.records;
  return [
    {
      // one thread against one thread: worker threads on a loaded machine measure the load
      name: "validate.throughput_vs_parse",
      what: "validation of a 32 MB dataset on one thread vs readFile + split + JSON.parse, MB/s (median of 5 rounds)",
      ...medianOf(rounds.map((r) => r.valid.mbPerSecond / r.baseline.mbPerSecond)),
      better: "higher",
    },
    {
      name: "validate.invalid_vs_valid_line",
      what: "time per line of 500,000 invalid lines vs valid ones, one thread (median of 5 rounds; goal: no slower)",
      ...medianOf(rounds.map((r) => usPerLine(r.invalid) / usPerLine(r.valid))),
      better: "lower",
      goal: 1,
    },
  ];
}

async function quickContamination(): Promise<Figure[]> {
  // The full benchmark's 20k x 2k corpus (generated once into benchmarks/.data); the anchor does
  // MinHash+LSH on its first 4,000 examples (its rate per document barely depends on how many).
  const corpus = await ensureCorpusFiles({ seed: 2026, items: 2000, clean: 19_400, perKind: 100 }, "20k");
  // A check process lasts about a second, the anchor five: one process alone moved the figure by 30%
  // under load. Each round times the check before and after its anchor (a change in load while the anchor
  // runs reaches both), and the figure is the median of five rounds.
  const rounds = ratioRounds(5, () => {
    const before = checkProcessSeconds(corpus.train, corpus.items, 1);
    const anchor = child<{ docsPerSecond: number }>("minhash-child.mjs", corpus.train, corpus.items, "4000");
    const after = checkProcessSeconds(corpus.train, corpus.items, 1);
    return before.docs / ((before.seconds + after.seconds) / 2) / anchor.docsPerSecond;
  });
  return [
    {
      name: "contamination.check_process_vs_minhash",
      what: "the whole `loragate check` process on 20k x 2k vs the minhash package's MinHash+LSH alone in process, documents/s (median of 5 rounds, each check-anchor-check)",
      ...medianOf(rounds),
      better: "higher",
      goal: CHECK_GOAL,
    },
  ];
}

async function quickApp(): Promise<Figure[]> {
  // three rounds, each the app's runs then the core's back to back: one round moved 18% between two runs
  const rounds: number[] = [];
  for (let i = 0; i < 3; i++) rounds.push((await benchAppValidate()).ratio_app_vs_core as number);
  return [
    {
      name: "app.validate_vs_core",
      what: "webhook -> loragate/validate for a 5,000-example PR (GitHub answered locally) vs the core alone on the same files (median of 3 rounds)",
      ...medianOf(rounds),
      better: "lower",
    },
  ];
}

/** How many times a bench runs, at most, before a figure that failed each time fails the run. */
const ATTEMPTS = 3;

/**
 * Runs the quick benchmarks named (all when none); returns the exit code. A bench whose figure fails is
 * run again, up to ATTEMPTS in all, and the run fails only on a figure that failed every time: a real
 * regression shows in each run, a burst of load on a shared machine rarely in three.
 */
export async function runQuick(
  names: string[],
  record: boolean,
  benchmarks: Record<string, () => Promise<Figure[]>> = quick,
): Promise<number> {
  const unknown = names.filter((n) => !Object.hasOwn(benchmarks, n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(", ")}; known: ${Object.keys(benchmarks).join(", ")}`);
    return 2;
  }
  const recorded = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, "utf8")) as { figures: Record<string, number> }).figures
    : {};
  let benches = names.length > 0 ? names : Object.keys(benchmarks);
  const measured = new Map<string, Figure[]>();
  let problems: string[] = [];
  for (let attempt = 1; attempt <= ATTEMPTS && benches.length > 0; attempt++) {
    if (attempt > 1)
      console.log(`
again (attempt ${attempt} of ${ATTEMPTS}): ${benches.join(", ")}`);
    for (const name of benches) {
      const start = performance.now();
      measured.set(name, await benchmarks[name]!());
      console.log(`${name}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
    const figures = [...measured.values()].flat();
    printTable(figures, recorded);
    problems = figures.flatMap((f) => verdict(f, recorded[f.name]) ?? []);
    // recording takes the figures as they came; a check retries only the benches that failed
    if (record) break;
    benches = benches.filter((name) => measured.get(name)!.some((f) => verdict(f, recorded[f.name])));
  }
  const figures = [...measured.values()].flat();
  for (const figure of figures) console.log(`  ${figure.name}: ${figure.what}`);
  if (record) {
    const figuresNow = Object.fromEntries(figures.map((f) => [f.name, Number(f.value.toFixed(4))]));
    writeFileSync(
      RESULTS,
      `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), figures: { ...recorded, ...figuresNow } }, null, 2)}\n`,
    );
    console.log(`\nrecorded in ${RESULTS}`);
  }
  for (const problem of problems)
    console.error(`bench --quick: ${problem} (in ${ATTEMPTS} runs of its bench)`);
  return problems.length > 0 ? 1 : 0;
}

/** Each figure against the recorded one and its goal, as a table. */
function printTable(figures: Figure[], recorded: Record<string, number>): void {
  const rows = figures.map((figure) => {
    const before = recorded[figure.name];
    const x = (v: number) => `${v.toFixed(2)}x`;
    // how much better (+) or worse (-) than recorded, in the figure's own direction
    const change =
      before === undefined
        ? "new"
        : `${figure.value === before ? "" : (figure.better === "higher") === figure.value > before ? "+" : "-"}${Math.abs((figure.value / before - 1) * 100).toFixed(0)}%`;
    return [
      verdict(figure, before) ? "FAIL" : "ok",
      figure.name,
      x(figure.value),
      figure.rounds ? `${x(Math.min(...figure.rounds))}-${x(Math.max(...figure.rounds))}` : "",
      before === undefined ? "-" : x(before),
      change,
      figure.goal === undefined ? "" : `${figure.better === "higher" ? ">=" : "<="} ${figure.goal}x`,
    ];
  });
  const header = [
    "",
    "figure (ratio to its anchor, same run)",
    "now",
    "rounds",
    "recorded",
    "change",
    "goal",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  console.log(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const row of rows) console.log(line(row));
  console.log(
    `\n(change: against benchmarks/results/quick.json, + better; a figure fails ${((TOLERANCE - 1) * 100).toFixed(0)}% worse than recorded or under its goal)`,
  );
}
