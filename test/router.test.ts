/**
 * The registry's router, measured: LocoLLM's keyword rule, the routing matrix `check` shows (text and
 * JSON), the gate's two routing findings, and the scorecard's routing section with the in-domain score
 * as routed, on a LocoLLM-shaped repository (fixtures/locollm.ts) imported as users would.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeLocoLLMFixture } from "../fixtures/locollm.ts";
import { sampleResults } from "../fixtures/sample-results.ts";
import { loadRegistryContext } from "../src/core/registry/registry-context.ts";
import { BASE_MODEL, keywordRouter } from "../src/core/router/keyword-router.ts";
import { asRouted, routingSection } from "../src/core/router/routing-section.ts";
import { scorecardRouting } from "../src/core/router/scorecard-routing.ts";
import type { Results } from "../src/core/schemas/results.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { scratchFolder } from "./support/scratch.ts";
import { cli } from "./support/cli.ts";

const dir = scratchFolder("router");

/** A LocoLLM repository imported, with an optional .github/loragate.yml. */
async function imported(name: string, config?: string): Promise<string> {
  const loco = join(dir, `${name}-loco`);
  const out = join(dir, name);
  writeLocoLLMFixture(loco);
  expect((await cli("import", "locollm", loco, "--out", out)).code).toBe(0);
  if (config) {
    mkdirSync(join(out, ".github"), { recursive: true });
    writeFileSync(join(out, ".github/loragate.yml"), config);
  }
  return out;
}

interface Report {
  adapters: {
    name: string;
    findings: { rule: string; severity: string; message: string; hint: string; line: number }[];
  }[];
  routing?: { rows: { benchmark: string; items: number; routed: Record<string, number> }[] };
}
const checkJson = async (root: string) =>
  JSON.parse((await cli("check", root, "--format", "json")).stdout) as Report;
const routerFindings = (report: Report, adapter: string) =>
  report.adapters.find((a) => a.name === adapter)!.findings.filter((f) => f.rule.startsWith("router-"));
const itemIds = (root: string, adapter: string) =>
  readFileSync(join(root, `adapters/${adapter}/eval/benchmark.jsonl`), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id: string; instruction: string });

describe("LocoLLM's keyword router", () => {
  const route = keywordRouter([
    { name: "math", domain: "math", keywords: ["How Many", "total"] },
    { name: "code", domain: "code", keywords: ["python", "total"] },
    { name: "analysis", domain: "analysis", keywords: ["trend"] },
  ]);

  it("lower-cased keywords as substrings; most hits wins; a tie to the first name; no hit to the base", () => {
    expect(route("HOW MANY apples in total?")).toBe("math"); // 2 hits against code's 1
    expect(route("The totals, in Python")).toBe("code"); // "total" inside "totals": code 2, math 1
    expect(route("a total")).toBe("code"); // 1 : 1, code is first alphabetically
    expect(route("the trend of the total")).toBe("analysis"); // 1 each: analysis first
    expect(route("hello")).toBe(BASE_MODEL);
  });
});

describe("routing in check, on an imported LocoLLM registry", () => {
  it("every benchmark's shares, as counted by hand, in JSON and text", async () => {
    const root = await imported("plain");
    const report = await checkJson(root);
    // By hand, from fixtures/locollm.ts (math: owe, how many, total, calculate; code: python, function,
    // def; analysis: trend, sales, compare):
    // - analysis: items 0, 4, 8, 12, 16 "Monthly totals ... how many months grew ... trend": math 2 hits
    //   (total, how many) against analysis 1 (trend): 5 to math; items 1, 5, ... "Total sales ... trend":
    //   analysis 2 against math 1; the other 10 "Sales ... trend": analysis. 15 analysis, 5 math.
    // - code: items 0, 5, 10, 15 "Python function ... calculate how many ... total": math 3 against
    //   code 2 (python, function): 4 to math; the 16 others code.
    // - math: the 21 "What do I owe" questions hit "owe"; the 39 "price of one X" / "X: what is its
    //   price" ones hit nothing: the base answers them.
    expect(report.routing!.rows).toEqual([
      {
        benchmark: "adapters/analysis",
        domain: "analysis",
        adapter: "analysis",
        items: 20,
        routed: { analysis: 15, math: 5 },
      },
      {
        benchmark: "adapters/code",
        domain: "code",
        adapter: "code",
        items: 20,
        routed: { code: 16, math: 4 },
      },
      {
        benchmark: "adapters/math",
        domain: "math",
        adapter: "math",
        items: 60,
        routed: { math: 21, [BASE_MODEL]: 39 },
      },
    ]);
    const text = (await cli("check", root)).stdout;
    expect(text).toContain(
      "routing (keywords, LocoLLM's rule): where the router sends each benchmark's items",
    );
    expect(text).toMatch(/adapters\/analysis +20 +75% +· +25% +·\n/);
    expect(text).toMatch(/adapters\/math +60 +· +· +35% +65%\n/);
  });

  it("math's keywords take code's and analysis's items (warnings with ids); math gets 35% of its own (a warning naming them and words that would catch them)", async () => {
    const root = await imported("findings");
    const report = await checkJson(root);
    const math = routerFindings(report, "math");
    const takes = math.filter((f) => f.rule === "router-takes-items");
    const code = itemIds(root, "code");
    const stolenCode = [0, 5, 10, 15].map((i) => code[i]!.id);
    expect(takes.map((f) => f.severity)).toEqual(["warning", "warning"]);
    expect(takes.map((f) => f.message)).toEqual([
      expect.stringContaining(
        "sends 5 of 20 items (25%) of adapters/analysis, analysis's domain, to math (5 of them went to analysis without it)",
      ),
      `the router sends 4 of 20 items (20%) of adapters/code, code's domain, to math (4 of them went to code without it): ${stolenCode.join(", ")}`,
    ]);
    expect(takes[1]!.hint).toContain(
      'narrow the keywords that catch them ("how many", "total", "calculate")',
    );
    // on adapter.yaml's router_keywords line
    const manifest = readFileSync(join(root, "adapters/math/adapter.yaml"), "utf8").split("\n");
    expect(manifest[takes[0]!.line - 1]).toBe("router_keywords:");

    const own = math.find((f) => f.rule === "router-own-share")!;
    expect(own.severity).toBe("warning");
    const missed = itemIds(root, "math").filter((i) => !/owe/.test(i.instruction));
    expect(missed).toHaveLength(39);
    expect(own.message).toBe(
      `the router sends 21 of 60 items of math's domain (35%) to math, under bar.router.min_own_share 50%; 39 go to the base and 0 to other adapters: ${missed
        .slice(0, 10)
        .map((i) => i.id)
        .join(", ")}, and 29 more`,
    );
    expect(own.hint).toContain('"price" (39 of 39)');
    // code and analysis do not validate (no training data committed): no routing findings of their own
    expect(routerFindings(report, "code")).toEqual([]);
  });

  it("bar.router.max_stolen_share makes taking more than it an error; min_own_share moves the warning", async () => {
    const root = await imported("strict", "bar:\n  router: {max_stolen_share: 0.2, min_own_share: 0.3}\n");
    const check = await cli("check", root, "--format", "json");
    expect(check.code).toBe(1);
    const math = routerFindings(JSON.parse(check.stdout) as Report, "math");
    // analysis loses 25% (> 20%): an error; code loses 20% (not more than 20%): a warning; 35% >= 30%
    expect(math.map((f) => `${f.severity} ${f.rule}`)).toEqual([
      "error router-takes-items",
      "warning router-takes-items",
    ]);
    expect(math[0]!.hint).toContain("bar.router.max_stolen_share is 20%");
  });

  it("router: none: no matrix, no routing findings", async () => {
    const root = await imported("none", "router: none\n");
    const report = await checkJson(root);
    expect(report.routing).toBeUndefined();
    expect(routerFindings(report, "math")).toEqual([]);
    expect((await cli("check", root)).stdout).not.toContain("routing (keywords");
  });

  it("a config router value that is not keywords or none is a config finding", async () => {
    const root = await imported("bad-router", "router: embeddings\n");
    const run = await cli("check", root);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '.github/loragate.yml:1:1 error router: "router" is "embeddings", expected one of "keywords", "none" [invalid-value]',
    );
  });
});

describe("the scorecard's routing section", () => {
  it("before/after this PR's keywords, and the in-domain score as routed, by each item's pick", async () => {
    const root = await imported("scorecard");
    const source = new FsRegistrySource(root);
    const context = await loadRegistryContext(source);
    const routing = (await scorecardRouting({ source, context, adapter: "math" }))!;
    const items = itemIds(root, "math");
    // The adapter answers every item right, the base none: as routed, only the 21 sent to math count.
    const results: Results = {
      ...sampleResults(),
      adapter: "math",
      domain: "math",
      version: "0.3.0",
      benchmarks: [
        {
          name: "own",
          kind: "own",
          sha256: "d".repeat(64),
          evaluation_type: "numeric",
          outcomes: items.map((i) => ({ id: i.id, base: 0, adapter: 1 })),
        },
      ],
    };
    expect(asRouted(results, routing)).toEqual({
      items: 60,
      toAdapter: 21,
      toBase: 39,
      elsewhere: 0,
      score: 21 / 60,
      base: 0,
      adapter: 1,
    });
    const section = routingSection(results, routing).join("\n");
    // without math its own items all go to the base; with it, 35%; code and analysis lose 20% and 25%
    expect(section).toContain("| adapters/math | 60 | 0% → **35%** | 0% → 0% | 100% → **65%** |");
    expect(section).toContain("| adapters/code | 20 | 0% → **20%** | 100% → **80%** | 0% → 0% |");
    expect(section).toContain("| adapters/analysis | 20 | 0% → **25%** | 100% → **75%** | 0% → 0% |");
    expect(section).toContain(
      "**In-domain as routed: 0.35** on 60 items (base 0.00, adapter 1.00 on the same items; +35.0 pts over the base): 21 answered by math, 39 by the base.",
    );
    for (const item of items) expect(section).not.toContain(item.instruction);
  });
});

describe("the page's routing matrix", () => {
  it("shows every benchmark's shares over the serving (imported) adapters, and marks them imported", async () => {
    const root = await imported("site");
    const out = join(dir, "site-out");
    expect((await cli("site", root, "--out", out)).code).toBe(0);
    const index = readFileSync(join(out, "index.html"), "utf8");
    const section = /<section aria-labelledby="routing">.*?<\/section>/s.exec(index)![0];
    const row = (label: string) =>
      [
        ...new RegExp(`<tr><th scope="row">${label}</th>(.*?)</tr>`)
          .exec(section)![1]!
          .matchAll(/<td[^>]*>([^<]*)</g),
      ].map((m) => m[1]);
    // columns: items, analysis, code, math, base; the benchmark's own domain in bold (class active)
    expect(row("adapters/analysis")).toEqual(["20", "75%", "·", "25%", "·"]);
    expect(row("adapters/code")).toEqual(["20", "·", "80%", "20%", "·"]);
    expect(row("adapters/math")).toEqual(["60", "·", "·", "35%", "65%"]);
    expect(section).toContain('<td class="num active">35%</td>');
    for (const item of itemIds(root, "math")) expect(index).not.toContain(item.instruction.slice(0, 40));
    expect(index.match(/● active<\/span> <span class="meta">imported, not gated<\/span>/g)).toHaveLength(3);
    expect(readFileSync(join(out, "adapters/math.html"), "utf8")).toContain(
      "imported from LocoLLM and not gated by loragate: it serves until a gated version replaces it",
    );
  });
});
