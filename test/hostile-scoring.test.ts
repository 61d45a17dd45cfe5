/**
 * Answers built to make scoring slow (issue 27, item 6): tree-sitter's quadratic parse of backslash line
 * continuations and RE2 programs thousands of instructions long. Scoring time per answer is bounded, and
 * a bounded score says so (for the results' problems); answers of ordinary cost score as before.
 */
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { validateDataset } from "../src/core/dataset/validate-dataset.ts";
import { MAX_INSTRUCTIONS, MAX_PATTERNS, regexCacheSize } from "../src/core/evaluation/regex-cache.ts";
import { FindingSink } from "../src/core/findings/findings.ts";
import { loadPythonSyntax, PARSE_BUDGET_MS, pythonSyntax } from "../src/core/evaluation/python-syntax.ts";
import { safeRegex, scoreAnswer } from "../src/core/evaluation/scoring.ts";
import { scaled } from "./support/load.ts";

beforeAll(loadPythonSyntax);

const timed = <T>(f: () => T): { value: T; ms: number } => {
  const started = performance.now();
  const value = f();
  return { value, ms: performance.now() - started };
};
const KEYWORDS = { text: "", keywords: ["x"] };

describe("code answers: the quadratic parse is never run on them (tree-sitter-python)", () => {
  it.each([
    ["10,000 bare continuations", "\\\n".repeat(10_000)],
    ["2,500 continued assignments", "x = 1 \\\n".repeat(2_500)],
    ["6,000 CRLF continuations", "\\\r\n".repeat(6_000)],
    ["continuations inside a fenced block", "```python\n" + "x = 1 \\\n".repeat(2_000) + "x\n```"],
  ])("%s: scored 0 at once, and the result says why", (_name, answer) => {
    const { value, ms } = timed(() => scoreAnswer("code", answer, KEYWORDS));
    expect(value.score).toBe(0);
    expect(value.bounded).toMatch(/backslash line continuations, over 500/);
    expect(ms).toBeLessThan(scaled(2000)); // a correctness bound: 1-7 s a parse before, on one shared thread
  });

  it("real code with a few continuations scores as before, with nothing bounded", () => {
    const answer = "def f(x):\n    total = x + \\\n        1\n    return total\n".repeat(50);
    expect(scoreAnswer("code", answer, { text: "", keywords: ["return"] })).toEqual({ score: 1 });
  });

  it("500 continuations, the most allowed, are still parsed", () => {
    const answer = `x = 1 ${"+ \\\n 1 ".repeat(500)}\n`;
    expect(scoreAnswer("code", answer, KEYWORDS)).toEqual({ score: 1 });
  });

  it("an answer that is no code still scores 0 without a note", () => {
    expect(scoreAnswer("code", "def add(a, b)\n    return a + b\n", KEYWORDS)).toEqual({ score: 0 });
  });
});

describe("the parse's budget stops any other slow shape, and the parser is ready for the next", () => {
  it("a slow parse is stopped at its budget, not run to its end", () => {
    const { value, ms } = timed(() => pythonSyntax("\\\n".repeat(10_000)));
    expect(value).toBe("over-budget");
    expect(ms).toBeLessThan(PARSE_BUDGET_MS + scaled(3000));
  });

  it("after a stopped parse, the next one starts afresh", () => {
    pythonSyntax("\\\n".repeat(10_000));
    expect(pythonSyntax("def f():\n    return 1\n")).toBe("valid");
    expect(pythonSyntax("def f(:\n")).toBe("invalid");
  });
});

describe("regex scoring: a costly program searches a bounded start of the answer (RE2)", () => {
  const long = `${"a".repeat(19_990)}= 42`;

  it("(?:.*){1000}= on a 20,000-character answer: bounded, quickly, and said so", () => {
    const { value, ms } = timed(() => scoreAnswer("regex", long, "", { pattern: "(?:.*){1000}=" }));
    expect(value.bounded).toMatch(
      /the pattern regex searched the first 1997 of 19994 characters \(a 2003-instruction program\)/,
    );
    expect(value.score).toBe(0); // the = lies past what it could search
    expect(ms).toBeLessThan(scaled(2000)); // a correctness bound: 0.8-3 s per answer before
  });

  it("a costly extract pattern of exact_match is bounded the same way", () => {
    const value = scoreAnswer("exact_match", long, "42", { extract: "(?:.*){1000}=\\s*(\\d+)" });
    expect(value.bounded).toMatch(/the extract regex searched the first \d+ of 19994 characters/);
  });

  it("an expected output used as the pattern is bounded too", () => {
    expect(scoreAnswer("regex", long, "(?:.*){1000}=").bounded).toMatch(/the pattern regex searched/);
  });

  it.each([
    ["a plain pattern", "= 42$"],
    ["a 100-instruction program", "(?:a*){40}= 42"],
  ])("%s searches the whole answer, as before", (_name, pattern) => {
    expect(scoreAnswer("regex", long, "", { pattern })).toEqual({ score: 1 });
  });

  it("an ordinary extract pattern scores as before", () => {
    expect(scoreAnswer("exact_match", long, "42", { extract: "=\\s*(\\d+)" })).toEqual({ score: 1 });
  });
});

describe("each distinct regex is compiled once, and what is kept is bounded (issue 35, item 3)", () => {
  const items = (n: number, item: (i: number) => object) =>
    Readable.from([
      Buffer.from(
        Array.from({ length: n }, (_, i) =>
          JSON.stringify({
            id: `q${i}`,
            instruction: `What is item ${i}?`,
            input: "",
            difficulty: "easy",
            ...item(i),
          }),
        ).join("\n") + "\n",
      ),
    ]);
  const validate = async (lines: Readable) => {
    const sink = new FindingSink();
    const started = performance.now();
    await validateDataset({ kind: "benchmark", file: "b.jsonl", chunks: lines, maxLineBytes: 1 << 20, sink });
    return { ms: performance.now() - started, findings: sink.finish() };
  };

  it("4,000 items of one costly pattern validate in under 3× the time of 4,000 plain items (was ~140×)", async () => {
    const plain = () => items(4_000, () => ({ expected_output: "42" }));
    const costly = () => items(4_000, () => ({ expected_output: "(?:.*){1000}=", evaluation_type: "regex" }));
    await validate(plain()); // warm
    const ratios: number[] = [];
    for (let run = 0; run < 3; run++) {
      const base = await validate(plain());
      const { ms, findings } = await validate(costly());
      expect(findings).toEqual([]);
      ratios.push(ms / base.ms);
    }
    expect(Math.min(...ratios)).toBeLessThan(3);
  });

  it("an invalid pattern is refused at every item that uses it, as before", async () => {
    const { findings } = await validate(
      items(3, () => ({ expected_output: "(a", evaluation_type: "regex" })),
    );
    expect(findings.map((f) => [f.line, f.rule])).toEqual([
      [1, "invalid-regex"],
      [2, "invalid-regex"],
      [3, "invalid-regex"],
    ]);
  });

  it("scoring with the same pattern compiles it once and scores as a fresh compile does", () => {
    const answers = ["x = 42", "no", "y=7"];
    expect(answers.map((a) => scoreAnswer("regex", a, "", { pattern: "\\w\\s*=\\s*\\d+" }).score)).toEqual([
      1, 0, 1,
    ]);
    expect(scoreAnswer("regex", "ABC", "abc").score).toBe(1); // "i" by default
    expect(scoreAnswer("regex", "ABC", "", { pattern: "abc", flags: "" }).score).toBe(0); // a key of its own
  });

  it("3,000 distinct patterns and 600 costly ones: the cache keeps at most its bounds, the most recent ones", () => {
    for (let i = 0; i < 3_000; i++) safeRegex(`item ${i}`, "");
    expect(regexCacheSize().patterns).toBe(MAX_PATTERNS);
    for (let i = 0; i < 600; i++) safeRegex(`(?:.*){1000}=${i}`, "");
    const { patterns, instructions } = regexCacheSize();
    expect(patterns).toBeLessThanOrEqual(MAX_PATTERNS);
    expect(instructions).toBeLessThanOrEqual(MAX_INSTRUCTIONS);
    expect(instructions).toBeGreaterThan(MAX_INSTRUCTIONS - 2_100); // full: only the oldest left
  });
});
