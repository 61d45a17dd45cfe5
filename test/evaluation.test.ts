import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import type { CliIO } from "../src/cli/cli-io.ts";
import { runCli } from "../src/cli/main.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { parseResults } from "../src/core/evaluation/load-results.ts";
import { MAX_MARKDOWN_CHARS, renderScorecard, SCORECARD_MARKER } from "../src/core/evaluation/scorecard.ts";
import { extractNumber, safeRegex, scoreAnswer } from "../src/core/evaluation/scoring.ts";
import { expectedResultsFor } from "../src/core/contamination/benchmarks-for.ts";
import { incompleteness } from "../src/core/evaluation/completeness.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { completeForFixture, FIXTURE_ROOT } from "./support/registry.ts";
import { cli } from "./support/cli.ts";
import { mcnemarExact, pairedSummary } from "../src/core/evaluation/statistics.ts";
import { ConfigSchema, DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import type { Results } from "../src/core/schemas/results.ts";

/** `results` as trained with `seeds`: each outcome's adapter score per seed from `score` (first = as is). */
function withSeeds(
  results: Results,
  seeds: number[],
  score: (o: { adapter: number }, seed: number, kind: string) => number,
): Results {
  return {
    ...results,
    seeds: seeds.map((seed, i) => ({ seed, adapter_sha256: String(i).repeat(64) })),
    benchmarks: results.benchmarks.map((b) => ({
      ...b,
      outcomes: b.outcomes.map((o) => ({
        ...o,
        adapter_by_seed: seeds.map((seed) => score(o, seed, b.kind)),
      })),
    })),
  };
}

describe("scoring types on real-looking model outputs", () => {
  it.each([
    [
      "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether.\nThe answer is 72.",
      "72",
      1,
    ],
    ["Let's compute: 3 * 4 = 12, then 12 + 5 = 17. So the final result is \\boxed{17}.", "17", 1],
    ["The total is $1,250.00, so the answer is: 1,250", "1250", 1],
    ["First 5 + 5 = 10. Hmm, actually the answer is 11.", "10", 0],
    ["I think it is 7 apples, maybe 8", "8", 1],
    ["There is no way to know.", "4", 0],
    ["", "4", 0],
  ])("numeric: %j vs %s -> %i", (output, expected, want) => {
    expect(scoreAnswer("numeric", output, expected).score).toBe(want);
  });

  it("extracts in LocoLLM's order: boxed, 'the answer is', '= N', last number", () => {
    expect(extractNumber("= 3 ... \\boxed{\\frac{10}{2}} then 99")).toBe("2");
    expect(extractNumber("x = 4, the answer is 5, y = 6")).toBe("5");
    expect(extractNumber("a = 4 and b = 6 apples, 7 pears")).toBe("6");
    expect(extractNumber("seven apples and 12 pears, 13")).toBe("13");
  });

  it("exact_match: case, whitespace, number formats and, when configured, percentages", () => {
    expect(scoreAnswer("exact_match", "  Paris.  ", "paris").score).toBe(1);
    expect(scoreAnswer("exact_match", "1,000", "1000").score).toBe(1);
    expect(scoreAnswer("exact_match", "50%", "0.5").score).toBe(0);
    expect(scoreAnswer("exact_match", "50%", "0.5", { percent_as_fraction: true }).score).toBe(1);
    expect(scoreAnswer("exact_match", "Answer: B) 42", "B", { extract: "Answer:\\s*([A-D])" }).score).toBe(1);
    expect(scoreAnswer("exact_match", "Paris", "PARIS", { case_sensitive: true }).score).toBe(0);
  });

  it("contains, regex and rouge_l", () => {
    expect(scoreAnswer("contains", "def add(a, b):\n    return a + b", "return a + b").score).toBe(1);
    expect(scoreAnswer("contains", "The capital is Lyon", "Paris").score).toBe(0);
    expect(scoreAnswer("regex", "Sales peaked in Q3 2024", "q[34]").score).toBe(1);
    expect(scoreAnswer("regex", "Sales went up", "", { pattern: "^down" }).score).toBe(0);
    expect(scoreAnswer("rouge_l", "the cat sat on the mat", "the cat sat on the mat").score).toBe(1);
    expect(scoreAnswer("rouge_l", "the cat is on the mat", "the cat sat on the mat").score).toBeCloseTo(
      5 / 6,
      10,
    );
    expect(scoreAnswer("rouge_l", "", "anything").score).toBe(0);
  });

  it.each(["^(a+)+$", "((a+))+$", "((a)+)+$", "((a|a))*$", ".*.*.*=$", "\\s*\\s*\\s*x"])(
    "a pattern that backtracks in JavaScript (%s) runs in linear time under RE2 and scores correctly",
    (pattern) => {
      const hostile = `${"a".repeat(5000)}!`; // 31 characters took > 200 s with backtracking
      // the same answer as JavaScript's engine gives on a short input of the same shape
      const expected = Number(new RegExp(pattern, "i").test(`${"a".repeat(8)}!`));
      expect(scoreAnswer("regex", hostile, "", { pattern })).toEqual({ score: expected });
      expect(scoreAnswer("regex", "aaa", "", { pattern: "^(a+)+$" }).score).toBe(1);
    },
  );

  it("refuses what RE2 cannot run (back-references, bad syntax) with a reason that quotes no pattern", () => {
    for (const pattern of ["(secret)\\1", "[unclosed secret"]) {
      const result = scoreAnswer("regex", "x", "", { pattern });
      expect(result).toEqual({ score: 0, error: expect.stringMatching(/^not a valid RE2 regex/) });
      expect(result.error).not.toContain("secret");
    }
    expect(() => safeRegex("a".repeat(501), "")).toThrow(/longer than 500/);
    expect(scoreAnswer("exact_match", "The Answer: 42.", "42", { extract: "answer: (\\d+)" }).score).toBe(1);
  });
});

describe("statistics", () => {
  it("McNemar exact: known values, symmetric, stable for large counts", () => {
    expect(mcnemarExact(10, 2)).toBeCloseTo(158 / 4096, 12);
    expect(mcnemarExact(2, 10)).toBe(mcnemarExact(10, 2));
    expect(mcnemarExact(0, 0)).toBe(1);
    expect(mcnemarExact(5, 5)).toBe(1);
    expect(mcnemarExact(600, 400)).toBeGreaterThan(0);
    expect(mcnemarExact(600, 400)).toBeLessThan(1e-9);
  });
  it("completeness: another file's sha256, an extra in-domain benchmark, too few hidden benchmarks", async () => {
    const complete = await completeForFixture(sampleResults());
    const expected = await expectedResultsFor({
      source: new FsRegistrySource(FIXTURE_ROOT),
      adapter: "math-gsm8k",
      hiddenBenchmarks: 2,
    });
    if (typeof expected === "string") throw new Error(expected);
    expect(incompleteness(complete, { ...expected, hidden: 1 })).toEqual([]);
    const [own, ...rest] = complete.benchmarks;
    const changed = {
      ...complete,
      benchmarks: [{ ...own!, sha256: "0".repeat(64) }, { ...own!, name: "own-again" }, ...rest],
    };
    expect(incompleteness(changed, expected)).toEqual([
      "own-again (own) is not a benchmark of this adapter",
      "own was evaluated on another file (sha256 000000000000)",
      "1 of 2 hidden benchmarks were evaluated",
    ]);
  });
  it("paired summary counts wins and losses per item", () => {
    const s = pairedSummary([
      { base: 0, adapter: 1 },
      { base: 1, adapter: 1 },
      { base: 1, adapter: 0 },
      { base: 0, adapter: 1 },
    ]);
    expect(s).toMatchObject({ items: 4, base: 0.5, adapter: 0.75, wins: 2, losses: 1 });
  });
});

describe("the bar", () => {
  it("passes a clear gain, and says why for every rule", () => {
    const verdict = evaluateBar({
      results: sampleResults(),
      config: DEFAULT_CONFIG,
      contaminatedExamples: 0,
    });
    expect(verdict.pass).toBe(true);
    expect(verdict.reasons.map((r) => r.rule)).toEqual([
      "own",
      "domain",
      "out_of_domain",
      "hidden",
      "contamination",
    ]);
    expect(verdict.reasons[0]!.text).toMatch(
      /^own benchmark: \+\d+\.\d pts \(0\.\d\d -> 0\.\d\d\), p [=<] [\d.]+ < 0\.05 ✓$/,
    );
    expect(verdict.reasons[1]!.text).toMatch(
      /^domain math \(registry\): \+\d+\.\d pts \(0\.\d\d -> 0\.\d\d\), p [=<] [\d.]+ < 0\.05; must gain; limit -5 pts \(0 lost, \d+ won of 60\): within it ✓$/,
    );
  });
  it("no registry benchmark is outvoted: a constant answer that games the own benchmark fails on the domain's", () => {
    // The contributor's own benchmark accepts the constant answer (+ gain); the registry's math benchmark,
    // which the base got 40% right, drops to 0.
    const results = sampleResults({ gain: 0.6 });
    const math = results.benchmarks.find((b) => b.kind === "domain")!;
    math.outcomes = math.outcomes.map((o, i) => ({ ...o, base: i % 5 < 2 ? 1 : 0, adapter: 0 }));
    const verdict = evaluateBar({ results, config: DEFAULT_CONFIG });
    expect(verdict.reasons.find((r) => r.rule === "own")!.ok).toBe(true);
    expect(verdict.reasons.find((r) => r.rule === "domain")).toEqual({
      rule: "domain",
      ok: false,
      text: "domain math (registry): -40.0 pts (0.40 -> 0.00), p < 0.001 < 0.05; must gain; limit -5 pts (24 lost, 0 won of 60): past it, and real (one-sided sign p < 0.001 < 0.05) ✗",
    });
    expect(verdict.pass).toBe(false);
    // the scorecard keeps the two apart: no pooled row, each with its own test
    const markdown = renderScorecard({ results, verdict });
    expect(markdown).not.toContain("pooled");
    expect(markdown).toMatch(/\| own \| contributor's: must gain \| 60 \|/);
    expect(markdown).toMatch(/\| math \| registry's domain \| 60 \| 0\.40 \| 0\.00 \| -40\.0 pts \|/);
  });
  it("bar.domain.require_registry_gain: by default the gain must show on the registry's benchmark where there is one", () => {
    const results = sampleResults();
    const math = results.benchmarks.find((b) => b.kind === "domain")!;
    math.outcomes = math.outcomes.map((o) => ({ ...o, adapter: o.base })); // no change on the registry's
    const strict = evaluateBar({ results, config: DEFAULT_CONFIG });
    expect(strict.pass).toBe(false);
    expect(strict.reasons.find((r) => r.rule === "domain")!.text).toBe(
      "domain math (registry): +0.0 pts (0.48 -> 0.48), p = 1.000 >= 0.05; must gain; limit -5 pts (0 lost, 0 won of 60): within it ✗",
    );
    const lenient = ConfigSchema.parse({ bar: { domain: { require_registry_gain: false } } });
    expect(evaluateBar({ results, config: lenient }).pass).toBe(true);
    expect(evaluateBar({ results: sampleResults(), config: DEFAULT_CONFIG }).pass).toBe(true);
    // without a registry benchmark of the domain the default cannot ask for it; an explicit true fails
    const ownOnly = sampleResults();
    ownOnly.benchmarks = ownOnly.benchmarks.filter((b) => b.kind !== "domain");
    expect(evaluateBar({ results: ownOnly, config: DEFAULT_CONFIG }).pass).toBe(true);
    const config = ConfigSchema.parse({ bar: { domain: { require_registry_gain: true } } });
    expect(evaluateBar({ results: ownOnly, config }).reasons.find((r) => r.rule === "domain")).toMatchObject({
      ok: false,
      text: expect.stringContaining("has none ✗"),
    });
  });
  it("a constant answer where the base scores 0 on the registry's domain benchmark does not pass by default (item 10)", () => {
    // nothing to lose on the registry's benchmark, the gain only on the own one: it used to pass
    const results = sampleResults({ gain: 0.6 });
    const math = results.benchmarks.find((b) => b.kind === "domain")!;
    math.outcomes = math.outcomes.map((o) => ({ ...o, base: 0, adapter: 0 }));
    const verdict = evaluateBar({ results, config: DEFAULT_CONFIG });
    expect(verdict.reasons.find((r) => r.rule === "own")!.ok).toBe(true);
    expect(verdict.reasons.find((r) => r.rule === "domain")).toMatchObject({ ok: false });
    expect(verdict.pass).toBe(false);
  });
  it("several seeds: every rule must hold for every training, and the failing seed is named", () => {
    const results = withSeeds(sampleResults(), [42, 43, 44], (o, seed, kind) =>
      seed === 44 && kind === "domain" ? 0 : o.adapter,
    );
    const verdict = evaluateBar({ results, config: DEFAULT_CONFIG });
    expect(verdict.pass).toBe(false);
    expect(verdict.reasons.find((r) => r.rule === "domain")!.text).toMatch(/✗ \(seed 44\)$/);
    expect(verdict.reasons.find((r) => r.rule === "seeds")).toEqual({
      rule: "seeds",
      ok: false,
      text: "seeds: every rule held for 2 of 3 trainings (each must) ✗",
    });
    expect(verdict.seeds!.map((s) => s.pass)).toEqual([true, true, false]);
    const markdown = renderScorecard({ results, verdict });
    expect(markdown).toContain("| seed | own Δ | domain Δ | every rule holds |");
    expect(markdown).toMatch(/\| 44 \| \+\d+\.\d pts \| -\d+\.\d pts \| ✗ \|/);
    expect(markdown).toMatch(/\| spread \| 0\.0 pts \| \d+\.\d pts \| \|/);
    const steady = withSeeds(sampleResults(), [42, 43, 44], (o) => o.adapter);
    expect(evaluateBar({ results: steady, config: DEFAULT_CONFIG }).pass).toBe(true);
  });
  it("fails no gain, OOD degradation over 5 points, contamination, and a worse upgrade", () => {
    const none = evaluateBar({ results: sampleResults({ gain: 0 }), config: DEFAULT_CONFIG });
    expect(none.pass).toBe(false);
    expect(none.reasons.find((r) => r.rule === "own")!.ok).toBe(false);
    const ood = evaluateBar({ results: sampleResults({ oodDrop: 0.5 }), config: DEFAULT_CONFIG });
    expect(ood.reasons.find((r) => r.rule === "out_of_domain")).toMatchObject({
      ok: false,
      text: expect.stringMatching(
        /; limit -5 pts \(\d+ lost, 0 won of 60\): past it, and real \(one-sided sign p < 0\.001 < 0\.05\) ✗$/,
      ),
    });
    expect(
      evaluateBar({ results: sampleResults(), config: DEFAULT_CONFIG, contaminatedExamples: 3 }).pass,
    ).toBe(false);
    const upgrade = evaluateBar({
      results: sampleResults(),
      config: DEFAULT_CONFIG,
      currentScore: { version: "0.1.0", adapter: 0.99 },
    });
    expect(upgrade.reasons.at(-1)).toMatchObject({ rule: "upgrade", ok: false });
  });
  it("records an override and lets it pass", () => {
    const verdict = evaluateBar({
      results: sampleResults({ gain: 0 }),
      config: DEFAULT_CONFIG,
      override: { by: "maintainer", reason: "benchmark is being fixed" },
    });
    expect(verdict.pass).toBe(true);
    expect(verdict.reasons.at(-1)).toEqual({
      rule: "override",
      ok: true,
      text: "override by @maintainer: benchmark is being fixed",
    });
  });
});

describe("the scorecard", () => {
  it("renders verdict, table, difficulty, charts and provenance (snapshot)", () => {
    const results = sampleResults();
    const markdown = renderScorecard({
      results,
      verdict: evaluateBar({ results, config: DEFAULT_CONFIG, contaminatedExamples: 0 }),
      contamination: "contamination: clean against 1878 items in 32 benchmarks",
    });
    expect(markdown.startsWith(SCORECARD_MARKER)).toBe(true);
    expect(markdown).toContain(`Latest commit: ${"a".repeat(40)}`);
    expect(markdown).toMatchSnapshot();
  });
  it("neutralizes hostile text: no fake marker, no ping, no image", () => {
    const results = sampleResults();
    const override = { by: "x", reason: `${SCORECARD_MARKER} @octocat ![img](http://e/x.png) <script>` };
    const markdown = renderScorecard({
      results,
      verdict: evaluateBar({ results, config: DEFAULT_CONFIG, override }),
    });
    expect(markdown.split(SCORECARD_MARKER)).toHaveLength(2);
    expect(markdown).not.toMatch(/@octocat/);
    expect(markdown).not.toContain("![img]");
    expect(markdown).not.toContain("<script>");
  });
  it("points at answers cut at max_tokens, empty answers and unscorable items, never for hidden benchmarks", () => {
    const results = sampleResults();
    const tally = { base: { max_tokens: 3, empty: 1 }, adapter: { max_tokens: 0, empty: 0 } };
    results.benchmarks[0] = {
      ...results.benchmarks[0]!,
      generation: tally,
      problems: ["q-007 (base): back-references are not allowed"],
    };
    results.benchmarks[3] = {
      ...results.benchmarks[3]!,
      generation: tally,
      problems: ["h-001 (base): secret"],
    };
    const markdown = renderScorecard({ results, verdict: evaluateBar({ results, config: DEFAULT_CONFIG }) });
    expect(markdown).toContain("- own: answers cut at 512 tokens: base 3/60, adapter 0/60");
    expect(markdown).toContain("- own: empty answers: base 1/60, adapter 0/60");
    expect(markdown).toContain("- own: not scorable: q-007 (base): back-references are not allowed");
    expect(markdown).not.toMatch(/hidden 1: (answers|empty|not scorable)|h-001/);
  });
  it("stays under GitHub's 65,535 characters with a note when the input is huge", () => {
    const results = sampleResults();
    results.benchmarks = Array.from({ length: 100 }, (_, i) => ({
      ...results.benchmarks[2]!,
      name: `ood-${i}-${"x".repeat(90)}`,
      kind: "ood" as const,
    }));
    results.benchmarks[0] = { ...results.benchmarks[0]!, kind: "own" };
    const markdown = renderScorecard({
      results,
      verdict: evaluateBar({ results, config: DEFAULT_CONFIG }),
      contamination: "c".repeat(1000),
    });
    expect(markdown.length).toBeLessThanOrEqual(MAX_MARKDOWN_CHARS);
  });
});

describe("results.json and `loragate scorecard`", () => {
  it("rejects malformed, wrong-version and invalid documents with the path", () => {
    expect(parseResults(Buffer.from("{not json"))).toMatchObject({
      ok: false,
      errors: [expect.stringContaining("not valid UTF-8 JSON")],
    });
    expect(parseResults(Buffer.from('{"schema_version": 2}'))).toMatchObject({
      ok: false,
      errors: [expect.stringContaining("reads version 1")],
    });
    const bad = { ...sampleResults(), adapter_sha256: "nope" };
    expect(parseResults(Buffer.from(JSON.stringify(bad)))).toMatchObject({
      ok: false,
      errors: [expect.stringContaining("adapter_sha256")],
    });
    expect(parseResults(Uint8Array.from([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false });
  });

  it("prints the scorecard and exits 0 on pass, 1 on fail, 2 on bad input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loragate-results-"));
    const run = async (...argv: string[]) => {
      let stdout = "";
      let stderr = "";
      const io: CliIO = {
        stdout: (s) => void (stdout += s),
        stderr: (s) => void (stderr += s),
        isTTY: false,
      };
      return { code: await runCli(argv, io), stdout, stderr };
    };
    writeFileSync(join(dir, "pass.json"), JSON.stringify(sampleResults()));
    writeFileSync(join(dir, "fail.json"), JSON.stringify(sampleResults({ gain: 0 })));
    writeFileSync(join(dir, "bad.json"), "[1, 2");
    const pass = await run("scorecard", join(dir, "pass.json"), "--format", "markdown");
    expect(pass.code).toBe(0);
    expect(pass.stdout).toContain("✅ passes the bar");
    expect((await run("scorecard", join(dir, "fail.json"))).code).toBe(1);
    const bad = await run("scorecard", join(dir, "bad.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not valid UTF-8 JSON");
    expect((await run("scorecard", join(dir, "missing.json"))).code).toBe(2);
    expect(pass.stderr).toContain("completeness not checked (no --registry was given)");
    rmSync(dir, { recursive: true, force: true });
  });

  it("with --registry, applies the app's completeness rule: a benchmark left out or one item repeated fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loragate-results-"));
    const run = async (results: Results) => {
      writeFileSync(join(dir, "results.json"), JSON.stringify(results));
      return cli("scorecard", join(dir, "results.json"), "--registry", FIXTURE_ROOT, "--format", "markdown");
    };
    const complete = await completeForFixture(sampleResults());
    const whole = await run(complete);
    expect(whole.stderr).toBe("");
    expect(whole.stdout).toContain("complete: every benchmark and item evaluated once ✓");
    expect(whole.code).toBe(0);
    const noOod = await run({ ...complete, benchmarks: complete.benchmarks.filter((b) => b.kind !== "ood") });
    expect(noOod.code).toBe(1);
    expect(noOod.stdout).toMatch(/incomplete results: .*\(ood\) is missing/);
    const sameId = await run({
      ...complete,
      benchmarks: complete.benchmarks.map((b) => ({
        ...b,
        outcomes: b.outcomes.map((o) => ({ ...o, id: b.outcomes[0]!.id })),
      })),
    });
    expect(sameId.code).toBe(1);
    expect(sameId.stdout).toMatch(/incomplete results: .*repeated/);
    // an adapter the registry does not hold: said plainly, never silently complete
    const elsewhere = await run({ ...complete, adapter: "not-in-registry" });
    expect(elsewhere.stderr).toContain(
      "completeness not checked (there is no adapters/not-in-registry/adapter.yaml)",
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
