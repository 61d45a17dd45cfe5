/**
 * Numbers read as people write them (issue #33 item 7), compared case by case with the two references:
 * lm-evaluation-harness's gsm8k filters (lm_eval/tasks/gsm8k/gsm8k.yaml: generation stops at
 * "Question:"; "strict-match" takes the first "#### (-?[0-9.,]+)"; "flexible-extract" the last match
 * of "(-?[$0-9.,]{2,})|(-?[0-9]+)"; exact_match then drops ",", "$", everything up to "#### " and a
 * final ".") and LocoLLM's order ("answer is"/"answer:", \boxed{}, "= N" ending a line, the last number).
 */
import { describe, expect, it } from "vitest";
import { extractNumber, scoreAnswer } from "../src/core/evaluation/scoring.ts";

/** lm-evaluation-harness's gsm8k answer, as its YAML filters and metric read it (undefined: none found). */
function lmEvalGsm8k(output: string, filter: "strict-match" | "flexible-extract"): string | undefined {
  const generated = output.split("Question:")[0]!; // generation_kwargs.until
  let found: string | undefined;
  if (filter === "strict-match") found = /#### (-?[0-9.,]+)/.exec(generated)?.[1];
  else {
    const last = [...generated.matchAll(/(-?[$0-9.,]{2,})|(-?[0-9]+)/g)].at(-1);
    found = last ? (last[1] ?? last[2]) : undefined;
  }
  return found?.replace(/,/g, "").replace(/\$/g, "").replace(/\.$/, "");
}

/** [model output, the reference answer, what loragate reads, what lm-eval's flexible-extract reads]. */
const CASES: [string, string, number, string | undefined][] = [
  // where all agree: GSM8K's own format, thousands with commas, a dollar sign
  ["Natalia sold 48/2 = 24 clips in May.\nShe sold 48+24 = 72 clips.\n#### 72", "72", 72, "72"],
  ["The total is $1,250.", "1250", 1250, "1250"],
  ["So she has -3 left.", "-3", -3, "-3"],
  // U+2212, the minus sign of typeset text: lm-eval reads 5
  ["The temperature fell to \u22125 degrees.", "-5", -5, "5"],
  // digit groups with a space, a no-break space, a thin space, or dots
  ["They counted 1 000 birds.", "1000", 1000, "000"],
  ["They counted 1\u00a0000 birds.", "1000", 1000, "000"],
  ["They counted 1\u2009000 birds.", "1000", 1000, "000"],
  ["Das sind 1.000 Vögel.", "1000", 1000, "1.000"],
  ["Das sind 1.000,5 Liter.", "1000.5", 1000.5, "1.0005"],
  // decimals are not digit groups
  ["Pi is about 3.14159.", "3.14159", 3.14159, "3.14159"],
  ["It is 0.125 of the whole.", "0.125", 0.125, "0.125"],
  // a simple fraction is its value
  ["Each gets 1/2 of the cake.", "0.5", 0.5, "2"],
  ["The answer is 3/4", "0.75", 0.75, "4"],
  // after its answer, the model asks itself a new question: the answer is where it stated it
  ["12 apples are left. Q: How many pears? 7", "12", 12, "7"],
  ["12 apples are left.\nQuestion: How many pears? 7", "12", 12, "12"],
];

describe("numbers as people write them, against lm-evaluation-harness's gsm8k filters", () => {
  it.each(CASES)(
    "%j: loragate reads %s as %d; lm-eval's flexible-extract reads %s",
    (output, reference, value, lmEval) => {
      const raw = extractNumber(output);
      expect(raw).toBeDefined();
      expect(scoreAnswer("numeric", output, reference).score).toBe(1);
      expect(scoreAnswer("numeric", output, String(value)).score).toBe(1);
      expect(lmEvalGsm8k(output, "flexible-extract")).toBe(lmEval);
    },
  );

  it("agrees with lm-eval wherever lm-eval reads the number the reference holds", () => {
    for (const [output, reference] of CASES) {
      const lm = lmEvalGsm8k(output, "flexible-extract");
      if (lm !== undefined && Number(lm) === Number(reference))
        expect(scoreAnswer("numeric", output, lm).score, output).toBe(1);
    }
    // strict-match: "#### N" first, as loragate trusts it first
    const gsm = "48/2 = 24, 48+24 = 72\n#### 72\nthe answer is 5";
    expect(lmEvalGsm8k(gsm, "strict-match")).toBe("72");
    expect(extractNumber(gsm)).toBe("72");
  });

  it("a wrong number stays wrong: no reading makes two different values equal", () => {
    expect(scoreAnswer("numeric", "They counted 1 000 birds.", "1").score).toBe(0);
    expect(scoreAnswer("numeric", "Each gets 1/2 of the cake.", "2").score).toBe(0);
    expect(scoreAnswer("numeric", "The temperature fell to \u22125 degrees.", "5").score).toBe(0);
    expect(scoreAnswer("numeric", "12 apples are left. Q: How many pears? 7", "7").score).toBe(0);
    expect(scoreAnswer("numeric", "Pi is about 3.14159.", "3141.59").score).toBe(0);
  });

  it("exact_match reads the same number forms when the whole answer is a number", () => {
    expect(scoreAnswer("exact_match", "1 000", "1000").score).toBe(1);
    expect(scoreAnswer("exact_match", "\u22125", "-5").score).toBe(1);
    expect(scoreAnswer("exact_match", "1/2", "0.5").score).toBe(1);
  });
});

describe("LocoLLM's order, kept as its eval.py has it", () => {
  it.each([
    ["x = 4, the answer is 5, y = 6", "5"],
    ["= 3 ... \\boxed{10} then 99", "10"],
    ["a = 4\nb = 6\n7 pears, 8", "6"],
    // it reads the whole output: the number of the new question wins there
    ["12 apples are left. Q: How many pears? 7", "7"],
    ["The temperature fell to \u22125 degrees.", "\u22125"],
  ])("%j -> %s", (output, expected) => {
    expect(extractNumber(output, "locollm")).toBe(expected);
  });
});
