import { readFileSync } from "node:fs";
import { expectedResultsFor } from "../core/contamination/benchmarks-for.ts";
import { evaluateBar } from "../core/evaluation/bar.ts";
import { MAX_RESULTS_BYTES, parseResults } from "../core/evaluation/load-results.ts";
import { renderScorecard } from "../core/evaluation/scorecard.ts";
import { renderScorecardText } from "../core/evaluation/scorecard-text.ts";
import { formatReport } from "../core/format-report.ts";
import { currentVersion } from "../core/registry/current-version.ts";
import { CONFIG_FILE, loadRegistryContext } from "../core/registry/registry-context.ts";
import { routingSection } from "../core/router/routing-section.ts";
import { scorecardRouting } from "../core/router/scorecard-routing.ts";
import { DEFAULT_CONFIG } from "../core/schemas/config.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import { type CliIO, refuse } from "./cli-io.ts";
import { inputFileProblem } from "./input-files.ts";

/** Prints the scorecard of a results.json; exit 0 when it passes the bar, 1 when not, 2 on bad input. */
export async function runScorecard(p: {
  file: string;
  registry?: string;
  markdown: boolean;
  io: CliIO;
}): Promise<number> {
  const problem = inputFileProblem(p.file, "results file", MAX_RESULTS_BYTES);
  if (problem) return refuse(p.io, problem);
  const loaded = parseResults(readFileSync(p.file));
  if (!loaded.ok) return refuse(p.io, `invalid ${p.file}:\n${loaded.errors.map((e) => `  ${e}`).join("\n")}`);
  const source = p.registry ? new FsRegistrySource(p.registry) : undefined;
  const context = source ? await loadRegistryContext(source) : undefined;
  const configErrors = context?.findings.filter((f) => f.file === CONFIG_FILE) ?? [];
  if (configErrors.length > 0) {
    p.io.stderr(formatReport({ registry: { ok: false, findings: configErrors }, adapters: [] }, "text"));
    return 2;
  }
  const config = context?.config ?? DEFAULT_CONFIG;
  // The app's completeness rule whenever the adapter's folder is there to say what complete means.
  const expected = source
    ? await expectedResultsFor({
        source,
        adapter: loaded.results.adapter,
        hiddenBenchmarks: config.bar.hidden.benchmarks,
        headSha: loaded.results.head_sha,
      })
    : "no --registry was given";
  if (typeof expected === "string")
    p.io.stderr(`loragate: completeness not checked (${expected}): the app would check it\n`);
  const verdict = evaluateBar({
    results: loaded.results,
    config,
    currentScore: currentVersion(context?.registry, loaded.results.adapter),
    ...(typeof expected === "string" ? {} : { expected }),
  });
  const routing =
    source && context && (await scorecardRouting({ source, context, adapter: loaded.results.adapter }));
  const shown = {
    results: loaded.results,
    verdict,
    ...(routing ? { routing: routingSection(loaded.results, routing) } : {}),
  };
  p.io.stdout(p.markdown ? `${renderScorecard(shown)}\n` : renderScorecardText(shown));
  return verdict.pass ? 0 : 1;
}
