/**
 * YAML positions with lone CRs (issue 27, item 17): js-yaml counts a lone CR as a line break, findings
 * count lines by LF (as GitHub's annotations and the rest of loragate do), so a syntax error's line
 * could lie past the end of the file. Every position now lies inside the file, at the place it names.
 */
import { describe, expect, it } from "vitest";
import { parseYaml } from "../src/core/registry/yaml.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const lfLines = (text: string) => text.split("\n").length;

function firstFinding(text: string) {
  const result = parseYaml("adapters/x/adapter.yaml", bytes(text));
  if (result.ok) throw new Error("expected a finding");
  return result.findings[0]!;
}

describe("a YAML syntax error's position lies inside the file, counted by LF (item 17)", () => {
  it.each([
    ["six lone CRs before an unclosed list (at the end, as in an LF file)", "a: 1\r\r\r\r\r\rb: [\n", 2, 1],
    ["a file of lone-CR line ends", "name: x\rdomain: y\rversion: [\r", 1, 30],
    ["lone CRs then LFs", "a: 1\r\r\r\nb: 2\nc: [\n", 4, 1],
    ["a bad indent after lone CRs", "a:\r\r\r\r\n  b: 1\n c: 2\n", 3, 2],
    ["a tab after lone CRs", "a: 1\r\r\r\r\r\r\r\r\r\r\n\tb: 2\n", 2, 1],
    ["a duplicate key after lone CRs", "a: 1\r\r\r\r\na: 2\n", 2, 1],
  ])("%s", (_name, text, line, column) => {
    const f = firstFinding(text);
    expect(f.line).toBeLessThanOrEqual(lfLines(text)); // the line after a final LF: where EOF errors point
    expect({ line: f.line, column: f.column }).toEqual({ line, column });
  });

  it.each([
    ["LF", "a: 1\nb: 2\nc: [\n"],
    ["CRLF", "a: 1\r\nb: 2\r\nc: [\r\n"],
  ])("%s files keep the positions they had", (_name, text) => {
    expect(firstFinding(text).line).toBe(4);
  });
});
