/**
 * The forms the field writes: chat training data (OpenAI messages, ShareGPT conversations in both
 * key styles) through validation and contamination, keyword benchmark items, and the scoring types
 * LocoLLM uses (keywords, code, its numeric extraction order).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { checkContamination } from "../src/core/contamination/check.ts";
import { ContaminationConfigSchema } from "../src/core/schemas/config.ts";
import { loadPythonSyntax } from "../src/core/evaluation/python-syntax.ts";
import { extractNumber, scoreAnswer } from "../src/core/evaluation/scoring.ts";
import type { Finding } from "../src/core/findings/findings.ts";
import { MemoryRegistrySource } from "../src/io/memory-source.ts";
import { registryWithValidAdapter, validateIn } from "./support/registry.ts";

const TRAIN = "adapters/math-gsm8k/training/dataset.jsonl";
const BENCH = "adapters/math-gsm8k/eval/benchmark.jsonl";

const read = async (source: MemoryRegistrySource, path: string) =>
  Buffer.from(await source.read(path))
    .toString()
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const jsonl = (records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;

type Convert = (r: { instruction: string; input: string; output: string }) => object;
const user = (r: { instruction: string; input: string }) =>
  r.input ? `${r.instruction}\n\n${r.input}` : r.instruction;
const FORMS: Record<string, Convert> = {
  messages: (r) => ({
    messages: [
      { role: "system", content: "You solve arithmetic word problems." },
      { role: "user", content: user(r) },
      { role: "assistant", content: r.output },
    ],
  }),
  "ShareGPT from/value": (r) => ({
    conversations: [
      { from: "human", value: user(r) },
      { from: "gpt", value: r.output },
    ],
  }),
  "ShareGPT role/content": (r) => ({
    conversations: [
      { role: "user", content: user(r) },
      { role: "assistant", content: r.output },
    ],
  }),
  // The role's key picks the text's key: a stray "value" beside role/content is never the text.
  "ShareGPT role/content with a stray value": (r) => ({
    conversations: [
      { role: "user", content: user(r), value: 0 },
      { role: "assistant", content: r.output, value: "" },
    ],
  }),
};

/** The valid fixture adapter with its training set rewritten line by line. */
async function withTraining(rewrite: (records: Record<string, unknown>[]) => unknown[]) {
  const source = registryWithValidAdapter();
  source.set(TRAIN, jsonl(rewrite(await read(source, TRAIN))));
  return validateIn(source);
}
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === "error");

describe("chat training data in validation", () => {
  it.each(Object.entries(FORMS))(
    "the valid adapter's data in the %s form stays valid, every example counted",
    async (_, convert) => {
      const report = await withTraining((records) => records.map((r) => convert(r as never)));
      expect(errors(report.findings)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.stats.train?.unique).toBe(520);
    },
  );

  it.each([
    [
      "an unknown role",
      {
        messages: [
          { role: "tool", content: "x" },
          { role: "assistant", content: "y" },
        ],
      },
      { rule: "chat-unknown-role", field: "messages.0.role" },
    ],
    [
      "the assistant first",
      {
        conversations: [
          { from: "gpt", value: "a" },
          { from: "human", value: "b" },
        ],
      },
      { rule: "chat-role-order", field: "conversations.0" },
    ],
    [
      "a conversation that ends with the user",
      {
        messages: [
          { role: "user", content: "a" },
          { role: "assistant", content: "b" },
          { role: "user", content: "c" },
        ],
      },
      { rule: "chat-role-order", field: "messages.2" },
    ],
    [
      "a system turn in the middle",
      {
        messages: [
          { role: "user", content: "a" },
          { role: "system", content: "b" },
        ],
      },
      { rule: "chat-role-order", field: "messages.1" },
    ],
    [
      "an empty assistant turn",
      {
        messages: [
          { role: "user", content: "a" },
          { role: "assistant", content: "  " },
        ],
      },
      { rule: "chat-empty-turn", field: "messages.1" },
    ],
    ["no turns", { messages: [] }, { rule: "chat-role-order", field: "messages" }],
    [
      "a turn that is not a turn",
      { conversations: [{ speaker: "human", text: "a" }] },
      { rule: "invalid-value", field: "conversations.0" },
    ],
  ])("%s: an error at its line and turn", async (_, bad, where) => {
    const form = "messages" in bad ? FORMS.messages! : FORMS["ShareGPT from/value"]!;
    const report = await withTraining((records) => [
      ...records.slice(0, 6).map((r) => form(r as never)),
      bad,
      ...records.slice(6).map((r) => form(r as never)),
    ]);
    const finding = report.findings.find((f) => f.rule === where.rule);
    expect(finding, JSON.stringify(report.findings)).toMatchObject({
      ...where,
      line: 7,
      severity: "error",
      file: TRAIN,
    });
    expect(finding!.hint.length).toBeGreaterThan(10);
    expect(report.stats.train?.unique).toBe(520); // the bad line is not counted
  });

  it("mixed forms in one file: an error at each line in another form, naming both forms and the first line", async () => {
    const report = await withTraining((records) =>
      records.map((r, i) =>
        i % 100 === 50 ? FORMS["ShareGPT from/value"]!(r as never) : FORMS.messages!(r as never),
      ),
    );
    const mixed = report.findings.filter((f) => f.rule === "mixed-forms");
    expect(mixed.map((f) => f.line)).toEqual([51, 151, 251, 351, 451]);
    expect(mixed[0]!.message).toBe(
      'this line is in the ShareGPT "conversations" form, line 1 in the OpenAI "messages" form',
    );
  });

  it("the same conversation twice is a duplicate, whatever the form's keys", async () => {
    const report = await withTraining((records) => {
      const chat = records.map((r) => FORMS.messages!(r as never));
      return [...chat, chat[3]];
    });
    expect(report.findings.find((f) => f.rule === "duplicate-example")).toMatchObject({ line: 521 });
  });
});

describe("record keys loragate does not know", () => {
  it("a LocoLLM-style benchmark line: the missing fields, and its keys named with the ones meant", async () => {
    const source = registryWithValidAdapter();
    const items = await read(source, BENCH);
    source.set(BENCH, jsonl([...items, { question: "What is 2+2?", answer: 4 }]));
    const report = await validateIn(source);
    const line = items.length + 1;
    const unknown = report.findings.filter((f) => f.rule === "unknown-key" && f.line === line);
    expect(unknown.map((f) => [f.field, f.severity, f.message])).toEqual([
      ["question", "warning", 'unknown key "question" (did you mean "instruction"?)'],
      ["answer", "warning", 'unknown key "answer" (did you mean "expected_output"?)'],
    ]);
    expect(
      report.findings.filter((f) => f.line === line && f.rule === "missing-field").map((f) => f.field),
    ).toEqual(["id", "instruction", "input"]);
  });

  it("a misspelt training key: a warning with the closest name, and the line still fails on the missing one", async () => {
    const report = await withTraining((records) => [
      { instrucion: "Add 2 and 2.", input: "", output: "4" },
      ...records,
    ]);
    expect(report.findings.find((f) => f.rule === "unknown-key")).toMatchObject({
      line: 1,
      severity: "warning",
      message: 'unknown key "instrucion" (did you mean "instruction"?)',
    });
    expect(report.findings.find((f) => f.rule === "missing-field")).toMatchObject({
      line: 1,
      field: "instruction",
    });
  });
});

describe("keyword benchmark items", () => {
  async function withItems(edit: (items: Record<string, unknown>[]) => unknown[]) {
    const source = registryWithValidAdapter();
    source.set(BENCH, jsonl(edit(await read(source, BENCH))));
    return validateIn(source);
  }

  it("answer_keywords instead of expected_output, no difficulty: valid", async () => {
    const report = await withItems((items) =>
      items.map(({ expected_output, difficulty: _d, ...rest }) => ({
        ...rest,
        answer_keywords: [String(expected_output)],
        evaluation_type: "keywords",
      })),
    );
    expect(errors(report.findings)).toEqual([]);
  });

  it("neither expected_output nor answer_keywords: missing-field saying both", async () => {
    const report = await withItems((items) =>
      items.map(({ expected_output: _e, ...rest }, i) => (i === 4 ? rest : items[i])),
    );
    expect(report.findings.find((f) => f.rule === "missing-field")).toMatchObject({
      line: 5,
      field: "expected_output",
      message: '"expected_output" is missing (or give answer_keywords)',
    });
  });

  it("a code item without keywords: missing-keywords at its line", async () => {
    const report = await withItems((items) =>
      items.map((item, i) => (i === 2 ? { ...item, evaluation_type: "code" } : item)),
    );
    expect(report.findings.find((f) => f.rule === "missing-keywords")).toMatchObject({
      line: 3,
      severity: "error",
    });
  });
});

describe("contamination in chat data", () => {
  const CONFIG = ContaminationConfigSchema.parse(undefined);
  const item = {
    id: "q1",
    instruction: "Solve.",
    input:
      "A baker sells 12 loaves each morning and 7 each evening for 9 days. How many loaves are sold in all?",
    answer_keywords: ["171"],
  };
  /** [line, item id] of every match of these training lines against the item. */
  const matchesIn = async (lines: object[]) => {
    const report = await checkContamination({
      source: new MemoryRegistrySource({ "t.jsonl": jsonl(lines) }),
      trainFile: "t.jsonl",
      benchmarks: [{ file: "b.jsonl", hidden: false, items: [item] }],
      config: CONFIG,
      maxLineBytes: 1 << 20,
    });
    return report.matches.map((m) => [m.train.line, m.benchmark.id]);
  };
  it.each(Object.entries(FORMS))(
    "a benchmark question copied into a %s user turn is found at its line",
    async (_, convert) => {
      const filler = Array.from({ length: 5 }, (_, i) => ({
        instruction: "Solve.",
        input: `Tom has ${i + 3} apples and buys ${i + 4} more at the market on Sunday. How many now?`,
        output: `${2 * i + 7}`,
      }));
      const lines = [
        ...filler,
        { instruction: "Solve.", input: item.input, output: "The answer is 171." },
      ].map(convert);
      expect(await matchesIn(lines)).toEqual([[6, "q1"]]);
    },
  );
  it("a benchmark question in the system prompt, the user asking for nothing, is found", async () => {
    const lines = [
      ...Array.from({ length: 5 }, (_, i) => ({
        messages: [
          {
            role: "user",
            content: `Tom has ${i + 3} apples and buys ${i + 4} more on Sunday. How many now?`,
          },
          { role: "assistant", content: `${2 * i + 7}` },
        ],
      })),
      {
        messages: [
          { role: "system", content: `Solve. ${item.input}` },
          { role: "user", content: "Go on." },
          { role: "assistant", content: "The answer is 171." },
        ],
      },
    ];
    expect(await matchesIn(lines)).toEqual([[6, "q1"]]);
  });
});

describe("LocoLLM's scoring types", () => {
  beforeAll(loadPythonSyntax);
  const expected = (keywords: string[]) => ({ text: "", keywords });

  it("keywords: every keyword, case-insensitive", () => {
    const ask = ["mean", "median"];
    expect(scoreAnswer("keywords", "The Mean is 4 and the median 3", expected(ask)).score).toBe(1);
    expect(scoreAnswer("keywords", "The mean is 4", expected(ask)).score).toBe(0);
    expect(scoreAnswer("keywords", "anything", "no keywords")).toEqual({
      score: 0,
      error: "the item has no answer_keywords to look for",
    });
  });

  it("code: parses as Python by tree-sitter's grammar and holds every keyword; a fenced block is the code", () => {
    const ask = expected(["def", "return"]);
    expect(scoreAnswer("code", "def add(a, b):\n    return a + b\n", ask).score).toBe(1);
    expect(
      scoreAnswer("code", "Here it is:\n```python\ndef add(a, b):\n    return a + b\n```\nDone.", ask).score,
    ).toBe(1);
    expect(scoreAnswer("code", "def add(a, b)\n    return a + b\n", ask).score).toBe(0); // missing colon
    expect(scoreAnswer("code", "def add(a, b):\n    return (a + b\n", ask).score).toBe(0); // unclosed
    expect(scoreAnswer("code", "def add(a, b):\n    print(a + b)\n", ask).score).toBe(0); // no return
    // a regex would take this for Python: keywords present, but it is not code
    expect(scoreAnswer("code", "You def-initely need to return the sum.", ask).score).toBe(0);
  });

  it("numeric, extraction locollm: 'answer:' before \\boxed, '= N' only at a line's end", () => {
    const text = "\\boxed{12}\nso x = 5 apples\nAnswer: 7";
    expect(extractNumber(text)).toBe("12");
    expect(extractNumber(text, "locollm")).toBe("7");
    expect(extractNumber("x = 5 apples and y = 6\nthen 9 more", "locollm")).toBe("6");
    expect(extractNumber("x = 5 apples, then 9 more", "locollm")).toBe("9");
    expect(scoreAnswer("numeric", text, "7", { extraction: "locollm", tolerance: 0 }).score).toBe(1);
    expect(scoreAnswer("numeric", text, "7").score).toBe(0);
  });
});
