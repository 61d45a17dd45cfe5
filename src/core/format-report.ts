import { allFindings, type CheckReport } from "./check.ts";
import { countBySeverity, type Finding } from "./findings/findings.ts";
import { summarizeContamination } from "./contamination/report.ts";
import { counted, printable, withoutControls, withoutControlsKeepingLines } from "./text.ts";
import { routingText } from "./router/routing-text.ts";

export type OutputFormat = "text" | "json" | "github";

function location(f: Finding): string {
  const file = printable(f.file, 200);
  if (f.line === 0) return file;
  return f.column ? `${file}:${f.line}:${f.column}` : `${file}:${f.line}`;
}

/** Like a compiler: `file:line:col severity message [rule]`, then the hint indented. */
export function formatText(report: CheckReport): string {
  const out: string[] = [];
  const all = allFindings(report);
  for (const f of all) {
    // a field is a key of the data (any text); messages quote data printable already: this is the net
    const field = f.field ? `${printable(f.field, 80)}: ` : "";
    out.push(withoutControls(`${location(f)} ${f.severity} ${field}${f.message} [${f.rule}]`));
    out.push(withoutControls(`  hint: ${f.hint}`));
  }
  if (all.length > 0) out.push("");
  if (!report.registry.ok) out.push("✗ registry.yaml / config: fix the errors above first");
  for (const a of report.adapters) {
    const { errors, warnings } = countBySeverity(a.findings);
    const counts = [
      a.stats.train ? `${a.stats.train.unique} training examples` : undefined,
      a.stats.benchmark ? `${a.stats.benchmark.unique} benchmark items` : undefined,
    ].filter(Boolean);
    const summary = `${counted(errors, "error")}, ${counted(warnings, "warning")}`;
    out.push(
      `${a.ok ? "✓" : "✗"} ${printable(a.name)}: ${summary}${counts.length ? ` (${counts.join(", ")})` : ""}`,
    );
    if (a.contamination) out.push(`    ${summarizeContamination(a.contamination)}`);
  }
  if (report.routing) out.push("", ...routingText(report.routing), "");
  const failed = report.adapters.filter((a) => !a.ok).length;
  out.push(`${counted(report.adapters.length, "adapter")} checked, ${failed} with errors`);
  return `${out.join("\n")}\n`;
}

/** One JSON document; the shape is documented in README.md. */
function formatJson(report: CheckReport): string {
  const adapters = report.adapters.map(({ name, ok, findings, stats, contamination }) => ({
    name,
    ok,
    findings,
    stats,
    contamination,
  }));
  const json = JSON.stringify({ registry: report.registry, adapters, routing: report.routing }, null, 2);
  return `${withoutControlsKeepingLines(json)}\n`;
}

/** GitHub Actions workflow commands: annotations on the exact lines of the PR diff. */
function formatGithub(report: CheckReport): string {
  const out: string[] = [];
  for (const f of allFindings(report)) {
    const props = [`file=${escapeProperty(f.file)}`];
    if (f.line > 0) props.push(`line=${f.line}`);
    if (f.column) props.push(`col=${f.column}`);
    props.push(`title=${escapeProperty(`loragate ${f.rule}`)}`);
    out.push(`::${f.severity} ${props.join(",")}::${escapeData(`${f.message}. Hint: ${f.hint}`)}`);
  }
  return out.length ? `${out.join("\n")}\n` : "";
}

// Escaping rules of GitHub's workflow commands (toolkit's command.ts).
function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function formatReport(report: CheckReport, format: OutputFormat): string {
  return format === "json"
    ? formatJson(report)
    : format === "github"
      ? formatGithub(report)
      : formatText(report);
}
