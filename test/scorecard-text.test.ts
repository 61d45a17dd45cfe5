import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { renderScorecard } from "../src/core/evaluation/scorecard.ts";
import { renderScorecardText } from "../src/core/evaluation/scorecard-text.ts";
import { DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import { cli } from "./support/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-scorecard-text-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the scorecard in a terminal", () => {
  it("verdict first, one aligned table, no markup; --format markdown is what the app posts", async () => {
    const results = sampleResults();
    writeFileSync(join(dir, "results.json"), JSON.stringify(results));
    const text = await cli("scorecard", join(dir, "results.json"));
    expect(text.code).toBe(0);
    const lines = text.stdout.split("\n");
    expect(lines[0]).toBe(`loragate scorecard: ${results.adapter} ${results.version}: ✓ passes the bar`);
    expect(lines.length).toBeLessThan(24); // one screen
    expect(text.stdout).not.toMatch(/<!--|<\/?details|<summary|```|mermaid|\*\*|\| ---|\|/);
    const header = lines.findIndex((l) => l.startsWith("benchmark "));
    expect(lines.filter((l) => l.startsWith("benchmark ")).length).toBe(1);
    // every row of the table is as wide as its header's columns: the numbers line up
    const table = lines.slice(header, lines.indexOf("", header));
    const pStart = table[0]!.indexOf("      p") + 6;
    for (const row of table.slice(1)) expect(row[pStart], row).not.toBe(" ");
    expect(table.map((row) => row.split(/ {2,}/)[0])).toEqual(
      expect.arrayContaining(["benchmark", "own", "math", "code"]),
    );

    const markdown = await cli("scorecard", join(dir, "results.json"), "--format", "markdown");
    const verdict = evaluateBar({ results, config: DEFAULT_CONFIG });
    expect(markdown.stdout).toBe(`${renderScorecard({ results, verdict })}\n`);
    expect(text.stdout).toBe(renderScorecardText({ results, verdict }));
  });

  it("a failing adapter's reasons are on the first screen; a name cannot bring control characters", () => {
    const results = { ...sampleResults({ gain: 0 }), adapter: "evil\u001b[2Jname" };
    const text = renderScorecardText({ results, verdict: evaluateBar({ results, config: DEFAULT_CONFIG }) });
    expect(text.split("\n")[0]).toBe("loragate scorecard: evil\\u001b[2Jname 0.2.0: ✗ does not pass the bar");
    expect(text.split("\n")[1]).toMatch(/^ {2}.*✗$/);
    expect(text).not.toContain("\u001b");
  });

  it("--format is checked per command", async () => {
    const r = await cli("scorecard", join(dir, "results.json"), "--format", "json");
    expect(r).toMatchObject({
      code: 2,
      stderr: 'loragate: scorecard --format must be text or markdown, got "json"\n',
    });
  });
});
