import { DIFFICULTY_LEVELS } from "../schemas/records.ts";
import type { BenchmarkResult, Results } from "../schemas/results.ts";
import { type BarVerdict, type DropRuleReach, formatP, points, type SeedOutcome } from "./bar.ts";
import { type PairedSummary, pairedSummary } from "./statistics.ts";
import { withoutControlsKeepingLines } from "../text.ts";

/** Hidden marker that finds the one sticky scorecard comment of a PR. */
export const SCORECARD_MARKER = "<!-- loragate:scorecard -->";
/** GitHub's limit on a check run summary and on a comment body. */
export const MAX_MARKDOWN_CHARS = 65_535;

export interface ScorecardInput {
  results: Results;
  verdict: BarVerdict;
  /** e.g. "contamination: clean against 1878 items in 32 benchmarks" */
  contamination?: string;
  /** The routing section (src/core/router/routing-section.ts), shown under the scores. */
  routing?: string[];
  /**
   * Who made the adapter when it was not trained for this evaluation (the demo's committed adapters):
   * its training log is then shown without a time, which would read as this run's.
   */
  trainedBy?: string;
}

/**
 * Text from outside (benchmark names, override reasons) made inert in markdown: no HTML (so no fake
 * marker), no table breaks, no @-mentions that would ping, no images or links.
 */
export function inert(text: string, max = 200): string {
  const clipped = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return clipped
    .replace(/[\r\n]+/g, " ")
    .replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"))
    .replace(/[|`*_[\]!\\]/g, (c) => `\\${c}`)
    .replace(/@(?=[A-Za-z0-9-])/g, "@\u200b");
}

const score = (x: number) => x.toFixed(2);

/** What the interval column is, so that it is read with the p beside it. */
export const INTERVAL_NOTE =
  "p: two-sided McNemar exact test on 0/1 scores, sign test on graded ones; the interval is exact on the items that changed, of (won − lost) / items (Δ itself for 0/1 scores), and excludes 0 exactly when p < 0.05.";

/** Whose benchmark each row is, and what the bar asks of it. */
export const ROLE: Record<BenchmarkResult["kind"], string> = {
  own: "contributor's: must gain",
  domain: "registry's domain",
  ood: "registry's, other domain",
  hidden: "maintainers' hidden",
};

const percent = (x: number) => `${(x * 100).toFixed(x < 0.001 ? 2 : 1)}%`;

/**
 * What each benchmark can tell at its size: the gain the in-domain ones detect (a smaller one is
 * within their noise), and each maintainers' benchmark's drop-rule error rates, exactly.
 */
export function powerNote(verdict: BarVerdict, results: Results): string[] {
  const { own, domain } = verdict.detectable;
  const items = (kind: string) => results.benchmarks.find((b) => b.kind === kind)?.outcomes.length ?? 0;
  const parts = [
    ...(own === undefined ? [] : [`the own benchmark (${items("own")} items) ${points(own)}`]),
    ...(domain === undefined
      ? []
      : [`the registry's domain benchmark (${items("domain")} items) ${points(domain)}`]),
  ];
  const out = parts.length
    ? [
        `Smallest gain detectable at the bar's p with 80% power (exact, for the test each uses): ${parts.join("; ")}.`,
      ]
    : [];
  // benchmarks of one size and limit share their rates: one sentence for them
  const groups = new Map<string, DropRuleReach[]>();
  for (const reach of verdict.dropRules) {
    const key = `${reach.items}:${reach.limitPoints}`;
    groups.set(key, [...(groups.get(key) ?? []), reach]);
  }
  for (const group of groups.values()) {
    const reach = group[0]!;
    const names = group.map((r) => (r.kind === "hidden" ? r.name : inert(r.name, 60))).join(", ");
    const cost = 2 * reach.limitPoints;
    const enough =
      reach.items >= reach.itemsNeeded
        ? "enough to hold the bar's targets"
        : Number.isFinite(reach.itemsNeeded)
          ? `too few: ${reach.itemsNeeded} would hold the chance of passing that cost to ${percent(reach.falsePassTarget)}`
          : "no benchmark size holds that cost's chance of passing to the target";
    out.push(
      `Drop rule on ${names} (${reach.items} items${group.length > 1 ? " each" : ""}, limit -${reach.limitPoints} pts), if ${percent(reach.discordance)} of item scores change: an adapter that changes nothing fails ${percent(reach.rates.falseFailure)} of the time; one that costs ${cost} pts passes ${percent(reach.rates.falsePass)}; ${enough}.`,
    );
  }
  return out;
}

/** Each training's in-domain gain and their spread, when the bar trained with several seeds. */
function seedTable(verdict: BarVerdict): string[] {
  if (!verdict.seeds) return [];
  const spread = (pick: (s: SeedOutcome) => number | undefined) => {
    const deltas = verdict.seeds!.map(pick).filter((d): d is number => d !== undefined);
    return deltas.length ? points(Math.max(...deltas) - Math.min(...deltas)).replace("+", "") : "—";
  };
  const delta = (s: PairedSummary | undefined) => (s ? points(s.delta) : "—");
  return [
    "",
    "| seed | own Δ | domain Δ | every rule holds |",
    "| ---: | ---: | ---: | :-: |",
    ...verdict.seeds.map(
      (s) => `| ${s.seed} | ${delta(s.own)} | ${delta(s.domain)} | ${s.pass ? "✓" : "✗"} |`,
    ),
    `| spread | ${spread((s) => s.own?.delta)} | ${spread((s) => s.domain?.delta)} | |`,
    "",
    `The bar holds when every rule holds for each of the ${verdict.seeds.length} trainings; the first is the adapter published.`,
  ];
}

function lossChart(loss: { step: number; loss: number }[]): string[] {
  if (loss.length < 2) return [];
  const every = Math.ceil(loss.length / 100); // at most 100 points keep the chart readable
  const points = loss.filter((_, i) => i % every === 0 || i === loss.length - 1);
  return [
    "```mermaid",
    "xychart-beta",
    `  title "Training loss (${points.length} of ${loss.length} logged steps)"`,
    `  x-axis "step" [${points.map((p) => p.step).join(", ")}]`,
    '  y-axis "loss"',
    `  line [${points.map((p) => Number(p.loss.toFixed(4))).join(", ")}]`,
    "```",
  ];
}

/** The scorecard: verdict first, then the numbers, the charts, and where they come from. */
export function renderScorecard({
  results,
  verdict,
  contamination,
  routing,
  trainedBy,
}: ScorecardInput): string {
  const out: string[] = [SCORECARD_MARKER];
  out.push(
    `## loragate scorecard: ${inert(results.adapter)} ${inert(results.version)} — ${verdict.pass ? "✅ passes the bar" : "❌ does not pass the bar"}`,
  );
  out.push("");
  // Reasons are loragate's own words, but an override carries a maintainer's comment.
  for (const r of verdict.reasons) out.push(`- ${r.rule === "override" ? inert(r.text, 400) : r.text}`);
  out.push("");
  out.push("| benchmark | role | items | base | adapter | Δ | p | test | 95% CI, exact |");
  out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
  for (const { benchmark, summary: s } of verdict.summaries) {
    out.push(
      `| ${inert(benchmark.name, 60)} | ${ROLE[benchmark.kind]} | ${s.items} | ${score(s.base)} | ${score(s.adapter)} | ${points(s.delta)} | ${formatP(s.p)} | ${s.test} | ${points(s.ci95[0])} … ${points(s.ci95[1])} |`,
    );
  }
  out.push(
    "",
    ...[INTERVAL_NOTE, ...powerNote(verdict, results)].map((line) => `- ${line}`),
    ...seedTable(verdict),
  );
  if (routing?.length) out.push("", ...routing);
  const inDomain = results.benchmarks
    .filter((b) => b.kind === "own" || b.kind === "domain")
    .flatMap((b) => b.outcomes);
  const byDifficulty = DIFFICULTY_LEVELS.map((level) => ({
    level,
    outcomes: inDomain.filter((o) => o.difficulty === level),
  })).filter((d) => d.outcomes.length > 0);
  if (byDifficulty.length > 0) {
    out.push("", "<details><summary>Own and domain items by difficulty</summary>", "");
    out.push("| difficulty | items | base | adapter | Δ |", "| --- | ---: | ---: | ---: | ---: |");
    for (const { level, outcomes } of byDifficulty) {
      const s = pairedSummary(outcomes);
      out.push(`| ${level} | ${s.items} | ${score(s.base)} | ${score(s.adapter)} | ${points(s.delta)} |`);
    }
    out.push("", "</details>");
  }
  out.push(...answerNotes(results));
  const shown = verdict.summaries.slice(0, 20);
  out.push(
    "",
    "```mermaid",
    "xychart-beta",
    '  title "Score by benchmark: base (first bar) vs adapter"',
    `  x-axis [${shown.map(({ benchmark }) => JSON.stringify(benchmark.name.replace(/["\\\n\r]/g, "").slice(0, 30))).join(", ")}]`,
    '  y-axis "score" 0 --> 1',
    `  bar [${shown.map(({ summary }) => score(summary.base)).join(", ")}]`,
    `  bar [${shown.map(({ summary }) => score(summary.adapter)).join(", ")}]`,
    "```",
  );
  if (results.training) {
    out.push("", ...lossChart(results.training.loss));
    out.push(
      trainedBy
        ? `Training (${inert(trainedBy, 200)}): ${results.training.loss.length} logged steps.`
        : `Training: ${results.training.loss.length} logged steps in ${results.training.wall_seconds.toFixed(0)} s.`,
    );
  }
  out.push(...baseAnswerNote(results));
  if (contamination) out.push("", inert(contamination, 1000));
  out.push(
    "",
    "<details><summary>Provenance</summary>",
    "",
    `- base: \`${inert(results.base.id, 100)}\`, GGUF sha256 \`${results.base.gguf_sha256}\``,
    `- adapter GGUF sha256: \`${results.adapter_sha256}\``,
    `- harness ${inert(results.harness, 50)} on ${inert(results.hardware, 100)}; greedy, seed ${results.inference.seed}, max ${results.inference.max_tokens} tokens on the own benchmark${results.inference.re2 ? ", RE2" : ""}${(results.inference.parallel ?? 1) > 1 ? `, ${results.inference.parallel} parallel sequences` : ""}${thinkingNote(results)}`,
    ...results.benchmarks
      .filter((b) => b.kind !== "hidden")
      .map(
        (b) =>
          `- ${inert(b.name, 60)}: sha256 \`${b.sha256}\`, ${b.evaluation_type}${b.max_tokens ? `, max ${b.max_tokens} tokens` : ""}${b.base_answers?.from === "cache" ? `; base answers from the cache, generated by ${inert(b.base_answers.run, 200)}` : ""}`,
      ),
    "",
    "</details>",
    "",
    `Latest commit: ${results.head_sha}. Re-run with \`/loragate retrain\` (train and evaluate) or \`/loragate evaluate\`.`,
  );
  return capMarkdown(withoutControlsKeepingLines(out.join("\n")));
}

/** How often the base was asked, and the GPU time its kept answers saved (results.json's base_answers). */
function baseAnswerNote(results: Results): string[] {
  const tally = results.base_answers;
  if (!tally) return [];
  const cached = results.benchmarks.filter((b) => b.base_answers?.from === "cache").length;
  const seeds = results.seeds?.length ?? 1;
  const reused = [
    ...(cached ? [`${cached} of ${results.benchmarks.length} benchmarks from the base-answer cache`] : []),
    ...(seeds > 1 ? [`shared by the ${seeds} seeds`] : []),
  ];
  return [
    "",
    `Base model: ${tally.passes} pass${tally.passes === 1 ? "" : "es"}, ${tally.items_generated} answers generated in ${tally.seconds_spent.toFixed(0)} s, ${tally.items_reused} reused${reused.length ? ` (${reused.join("; ")})` : ""}; GPU time saved: ${tally.seconds_saved.toFixed(0)} s.`,
  ];
}

/** Answers cut at the token budget or empty, and items that could not be scored: worth a look. */
function answerNotes(results: Results): string[] {
  const notes = answerProblems(results, inert, 60).map((note) => `- ${note}`);
  return notes.length
    ? ["", "<details><summary>Answers to look at</summary>", "", ...notes, "", "</details>"]
    : [];
}

/**
 * The answers worth a look, one sentence per benchmark and kind: cut at the token budget, empty, not
 * scorable. `show` makes a name or problem safe for where it is printed; hidden benchmarks are never named.
 */
export function answerProblems(
  results: Results,
  show: (text: string, max: number) => string,
  nameWidth: number,
): string[] {
  const notes: string[] = [];
  for (const b of results.benchmarks) {
    if (b.kind === "hidden") continue; // scores only, never item ids
    const g = b.generation;
    const n = b.outcomes.length;
    const name = show(b.name, nameWidth);
    if (g && (g.base.max_tokens || g.adapter.max_tokens))
      notes.push(
        `${name}: answers cut at ${b.max_tokens ?? results.inference.max_tokens} tokens: base ${g.base.max_tokens}/${n}, adapter ${g.adapter.max_tokens}/${n}`,
      );
    if (g && (g.base.empty || g.adapter.empty))
      notes.push(`${name}: empty answers: base ${g.base.empty}/${n}, adapter ${g.adapter.empty}/${n}`);
    for (const problem of b.problems ?? []) notes.push(`${name}: not scorable: ${show(problem, 300)}`);
  }
  return notes;
}

/** Keeps a document under GitHub's limit, cutting at a line and saying so. */
export function capMarkdown(text: string, max = MAX_MARKDOWN_CHARS): string {
  if (text.length <= max) return text;
  const note =
    "\n\n… cut to fit GitHub's 65,535-character limit; the full numbers are in the results.json artifact.";
  const cut = text.lastIndexOf("\n", max - note.length);
  return text.slice(0, cut > 0 ? cut : max - note.length) + note;
}

/** How a thinking base was asked and where its answers were read, for the scorecards. */
export function thinkingNote(results: Results, quote = (text: string) => inert(text, 32)): string {
  const thinking = results.inference.thinking;
  if (!thinking) return "";
  return `; thinking ${thinking.enabled ? "on" : "off"}, answers scored after the last ${quote(thinking.end)}`;
}
