import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import {
  adapterCandidates,
  checkProposal,
  OVERLAP_MEANING,
  PROPOSAL_FIELDS,
  proposalOverlap,
} from "../src/core/review/proposal.ts";
import { runCli } from "../src/cli/main.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";

/** A body as GitHub renders the adapter-proposal form: `### Label` then the answer. */
function render(answers: Partial<Record<keyof typeof PROPOSAL_FIELDS, string>>): string {
  return Object.entries(PROPOSAL_FIELDS)
    .filter(([id]) => id in answers)
    .map(
      ([id, label]) => `### ${label}\n\n${answers[id as keyof typeof PROPOSAL_FIELDS] || "_No response_"}\n`,
    )
    .join("\n");
}
const complete = {
  domain: "legal-contracts",
  description: "Extract parties, dates and obligations from commercial contracts.",
  why: "The base model invents clauses and misses termination dates.",
  example_queries:
    "- Who are the parties to this NDA?\n- When does this lease end?\n- What are the payment terms?",
  data_sources: "CUAD (CC BY 4.0), 300 synthetic contracts reviewed by us",
  scope: "In: commercial contracts. Out: legal advice, litigation.",
  estimated_size: "1,200",
  router_keywords: "contract, clause, party, lease",
};

describe("adapter proposals", () => {
  it("the issue form template has every field the parser reads", () => {
    const form = yaml.load(
      readFileSync(
        join(import.meta.dirname, "..", "templates", "ISSUE_TEMPLATE", "adapter-proposal.yml"),
        "utf8",
      ),
    ) as { body: { id: string; attributes: { label: string } }[] };
    expect(Object.fromEntries(form.body.map((f) => [f.id, f.attributes.label]))).toEqual(PROPOSAL_FIELDS);
  });

  it("parses a complete rendered form", () => {
    const { proposal, problems } = checkProposal(render(complete), 500);
    expect(problems).toEqual([]);
    expect(proposal).toMatchObject({
      domain: "legal-contracts",
      estimated_size: 1200,
      example_queries: [
        "Who are the parties to this NDA?",
        "When does this lease end?",
        "What are the payment terms?",
      ],
      router_keywords: ["contract", "clause", "party", "lease"],
    });
  });

  it.each([
    ["a missing section", { ...complete, scope: undefined }, "scope", /“Scope” is missing/],
    [
      "fewer than 3 example queries",
      { ...complete, example_queries: "- one query only here" },
      "example_queries",
      /at least 3 example queries/,
    ],
    [
      "a size under the bar",
      { ...complete, estimated_size: "200" },
      "estimated_size",
      /under the registry's minimum of 500/,
    ],
    [
      "a domain that breaks the naming rule",
      { ...complete, domain: "Legal Contracts!" },
      "domain",
      /lower-case letters/,
    ],
    ["an empty answer", { ...complete, why: "" }, "why", /at least a sentence/],
  ])("reports %s", (_label, answers, field, message) => {
    const defined = Object.fromEntries(Object.entries(answers).filter(([, v]) => v !== undefined));
    const { problems } = checkProposal(render(defined), 500);
    expect(problems.find((p) => p.field === field)?.message).toMatch(message);
  });

  it("says so when the body is not a form at all, and survives a 60k-character body", () => {
    expect(checkProposal("please add a math adapter, thanks!", 500).problems).toEqual([
      expect.objectContaining({ field: "form" }),
    ]);
    const huge = render({ ...complete, scope: `<!-- loragate:scorecard --> @octocat ${"x".repeat(60_000)}` });
    expect(checkProposal(huge, 500).problems).toEqual([]);
  });

  it("shows overlap: math vs math-gsm8k ranks above unrelated adapters", () => {
    const manifests = {
      "math-gsm8k":
        "domain: math\ndescription: Multi-step arithmetic word problems\nrouter_keywords: [solve, how many]\n",
      "code-python":
        "domain: code\ndescription: Python functions from docstrings\nrouter_keywords: [python, function]\n",
      broken: "domain: [unclosed",
    };
    const { proposal } = checkProposal(
      render({
        ...complete,
        domain: "math",
        description: "Arithmetic word problems for school, solved step by step.",
        router_keywords: "solve, how many",
      }),
      500,
    );
    const overlaps = proposalOverlap(proposal!, adapterCandidates(manifests));
    expect(overlaps[0]).toMatchObject({ label: "adapter math-gsm8k", domain: 1 });
    expect(overlaps[0]!.score).toBe(Math.round(((1 + overlaps[0]!.words) / 2) * 100) / 100);
    expect(overlaps.find((o) => o.label === "adapter code-python")?.score ?? 0).toBeLessThan(0.2);
  });

  it("proposal check ranks the closest adapters by overlap, folds copies into one row and says what the score means", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loragate-proposal-"));
    const file = join(dir, "proposal.md");
    writeFileSync(
      file,
      render({
        ...complete,
        domain: "math",
        description: "Word problems about prices and what a customer owes at a shop, answered with a number.",
        example_queries: "- What do I owe for two ropes?\n- The price of one lamp?\n- How many pens for 40?",
        router_keywords: "price, owe, how many",
      }),
    );
    let stdout = "";
    const code = await runCli(["proposal", "check", file, "--registry", FIXTURE_ROOT], {
      stdout: (s) => (stdout += s),
      stderr: () => {},
      isTTY: false,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe(`closest existing adapters (${OVERLAP_MEANING}):`);
    // math-gsm8k (shop prices) first; the fixture's 25 copies of one math adapter in one row after it
    expect(lines[1]).toMatch(/^ {2}1\. adapter math-gsm8k: 0\.\d\d \(domain names 1\.00, words 0\.\d\d\)$/);
    expect(lines[2]).toMatch(
      /^ {2}2\. adapter bad-absolute-path: 0\.\d\d \(domain names 1\.00, words 0\.\d\d\), and 24 more with the same domain, description and keywords$/,
    );
    const score = (line: string) => Number(/: (0\.\d\d) /.exec(line)![1]);
    expect(score(lines[1]!)).toBeGreaterThan(score(lines[2]!));
    expect(stdout).not.toMatch(/bad-base/);
  });
});
