/**
 * The scorecard for a terminal: the verdict and its reasons first, then one aligned table, then a few
 * plain lines; no markup (the markdown the app posts is renderScorecard's, `--format markdown`). Drawn
 * from the same results and verdict, never from the markdown.
 */
import type { Results } from "../schemas/results.ts";
import { printable, withoutControlsKeepingLines } from "../text.ts";
import type { BarVerdict } from "./bar.ts";
import { answerProblems, INTERVAL_NOTE, powerNote, ROLE, thinkingNote } from "./scorecard.ts";
import type { PairedSummary } from "./statistics.ts";

const HEADER = ["benchmark", "role", "items", "base", "adapter", "Δ pts", "p", "test", "95% CI, exact"];
/** Columns whose numbers line up on the right. */
const RIGHT = new Set([2, 3, 4, 5, 6]);

const pts = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}`;
const p = (x: number) => (x < 0.001 ? "<0.001" : x.toFixed(3));

function row(name: string, role: string, s: PairedSummary): string[] {
  return [
    name,
    role,
    String(s.items),
    s.base.toFixed(2),
    s.adapter.toFixed(2),
    pts(s.delta),
    p(s.p),
    s.test,
    `${pts(s.ci95[0])} … ${pts(s.ci95[1])}`,
  ];
}

export function renderScorecardText({
  results,
  verdict,
  trainedBy,
}: {
  results: Results;
  verdict: BarVerdict;
  /** As renderScorecard's: who made an adapter this evaluation did not train. */
  trainedBy?: string;
}): string {
  const out = [
    `loragate scorecard: ${printable(results.adapter, 64)} ${printable(results.version, 32)}: ${verdict.pass ? "✓ passes the bar" : "✗ does not pass the bar"}`,
    ...verdict.reasons.map((r) => `  ${printable(r.text, 400)}`),
    "",
  ];
  const rows = verdict.summaries.map(({ benchmark, summary }) =>
    row(printable(benchmark.name, 40), ROLE[benchmark.kind], summary),
  );
  out.push(...table([HEADER, ...rows]), "", INTERVAL_NOTE, ...powerNote(verdict, results));
  if (verdict.seeds) {
    const delta = (s: PairedSummary | undefined) => (s ? pts(s.delta) : "—");
    out.push(
      "",
      ...table([
        ["seed", "own Δ pts", "domain Δ pts", "every rule holds"],
        ...verdict.seeds.map((s) => [String(s.seed), delta(s.own), delta(s.domain), s.pass ? "✓" : "✗"]),
      ]),
    );
  }
  out.push("");
  out.push(...answerProblems(results, printable, 40).map((note) => `note: ${note}`));
  if (results.training)
    out.push(
      (trainedBy
        ? `training (${printable(trainedBy, 200)}): ${results.training.loss.length} logged steps`
        : `training: ${results.training.loss.length} logged steps in ${results.training.wall_seconds.toFixed(0)} s`) +
        lossRange(results.training.loss),
    );
  out.push(
    `base ${printable(results.base.id, 80)} (GGUF sha256 ${results.base.gguf_sha256.slice(0, 12)}…), adapter GGUF sha256 ${results.adapter_sha256.slice(0, 12)}…, harness ${printable(results.harness, 40)}, seed ${results.inference.seed}${thinkingNote(results, (t) => printable(t, 32))}`,
  );
  return `${withoutControlsKeepingLines(out.join("\n"))}\n`;
}

/** Columns padded to their widest cell (by code points, so Δ and … count as one). */
function table(rows: string[][]): string[] {
  const width = (s: string) => [...s].length;
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => width(r[c]!))));
  return rows.map((r) =>
    r
      .map((cell, c) => {
        const pad = " ".repeat(widths[c]! - width(cell));
        return RIGHT.has(c) ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd(),
  );
}

function lossRange(loss: { loss: number }[]): string {
  return loss.length < 2 ? "" : `, loss ${loss[0]!.loss.toFixed(3)} → ${loss.at(-1)!.loss.toFixed(3)}`;
}
