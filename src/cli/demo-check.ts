import type { CheckReport } from "../core/check.ts";
import { formatReport } from "../core/format-report.ts";

/**
 * The demo's check on one screen, so its verdict comes soon after: the valid adapter as `check` prints
 * it, each adapter that fails on purpose by its rules, and check's own total. `loragate check
 * fixtures/registry` prints every finding and the router's matrix.
 */
export function demoCheckText(report: CheckReport): string {
  const lines = (r: CheckReport) => formatReport(r, "text").trimEnd().split("\n");
  const valid = lines({ ...report, routing: undefined, adapters: report.adapters.filter((a) => a.ok) }).slice(
    0,
    -1,
  );
  const planted = report.adapters
    .filter((a) => !a.ok)
    .map(
      (a) =>
        `${a.name} [${[...new Set(a.findings.filter((f) => f.severity === "error").map((f) => f.rule))].join(", ")}]`,
    );
  return `${[...valid, ...wrap(`✗ on purpose, by their rules: ${planted.join(", ")}`, 100), lines(report).at(-1)].join("\n")}\n`;
}

/** Words joined into lines of at most `width` characters, continued with an indent. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = `    ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...out, line];
}
