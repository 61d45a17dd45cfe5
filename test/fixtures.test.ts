import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CASES,
  CONTAMINATED_ADAPTER,
  generateFixtureRegistry,
  PLANTED_LINES,
  VALID_ADAPTER,
} from "../fixtures/generate.ts";
import { checkRegistry } from "../src/core/check.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { FIXTURE_ROOT, readTree } from "./support/registry.ts";

describe("the bundled fixture registry", async () => {
  const report = await checkRegistry({ source: new FsRegistrySource(FIXTURE_ROOT) });
  const byName = new Map(report.adapters.map((a) => [a.name, a]));

  it("has a clean registry.yaml whose benchmarks match their pins", () => {
    // its 60-item benchmarks keep the demo fast; at that size the drop rules' false-pass rate is said
    const sizes = report.registry.findings.filter((f) => f.rule === "benchmark-too-small-for-limits");
    expect(sizes.map((f) => [f.severity, f.field])).toEqual([["warning", "benchmarks"]]);
    expect(report.registry.findings.filter((f) => !sizes.includes(f))).toEqual([]);
  });

  it("reports the valid adapter clean", () => {
    const valid = byName.get(VALID_ADAPTER)!;
    expect(valid.findings).toEqual([]);
    expect(valid.stats.train?.unique).toBe(520);
    expect(valid.stats.benchmark?.unique).toBe(60);
  });

  it("flags every planted line of the contaminated adapter, and nothing else", () => {
    const leaky = byName.get(CONTAMINATED_ADAPTER)!;
    expect(leaky.ok).toBe(false);
    expect(leaky.findings.map((f) => `${f.line} ${f.rule}`)).toEqual(
      PLANTED_LINES.map((line) => `${line} contamination-containment`),
    );
    // Each planted line copies one registry item; the registry's shop questions are templated, so the
    // items one word apart from a copy (another item, the same phrasing) are matched too.
    const matched = new Set(
      leaky
        .contamination!.matches.filter((m) => m.benchmark.file === "benchmarks/math/benchmark.jsonl")
        .map((m) => m.benchmark.id),
    );
    for (let i = 1; i <= 12; i++) expect(matched).toContain(`math-${String(i).padStart(3, "0")}`);
    expect(
      leaky.contamination?.summary.find((b) => b.file === "benchmarks/math/benchmark.jsonl")?.contaminated,
    ).toBe(matched.size);
  });

  it("finds the valid adapter clean against every benchmark in the registry", () => {
    const report = byName.get(VALID_ADAPTER)!.contamination!;
    expect(report.totalMatches).toBe(0);
    expect(report.summary).toHaveLength(32);
  });

  it.each(CASES)("reports $name as $rule at $file:$line", (c) => {
    const adapter = byName.get(c.name)!;
    expect(adapter.ok).toBe(false);
    const errors = adapter.findings.filter((f) => f.severity === "error");
    expect(errors.map((f) => ({ rule: f.rule, file: f.file, line: f.line }))).toContainEqual({
      rule: c.rule,
      file: `adapters/${c.name}/${c.file}`,
      line: c.line,
    });
    // One broken thing produces one error, not a cascade.
    expect(errors).toHaveLength(1);
  });

  it("covers every adapter folder: valid, contaminated, and one per case", () => {
    expect([...byName.keys()].sort()).toEqual(
      [VALID_ADAPTER, CONTAMINATED_ADAPTER, ...CASES.map((c) => c.name)].sort(),
    );
  });
});

describe("fixtures/generate.ts", () => {
  const dir = mkdtempSync(join(tmpdir(), "loragate-fixtures-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("regenerates the committed fixture registry byte for byte (no drift, no hand edits)", () => {
    generateFixtureRegistry(join(dir, "registry"));
    const fresh = readTree(join(dir, "registry"));
    const committed = readTree(FIXTURE_ROOT);
    expect([...fresh.keys()]).toEqual([...committed.keys()]);
    const differing = [...fresh].filter(([path, data]) => {
      const other = committed.get(path)!;
      return Buffer.isBuffer(data) && Buffer.isBuffer(other)
        ? !data.equals(other)
        : JSON.stringify(data) !== JSON.stringify(other);
    });
    expect(differing.map(([path]) => path)).toEqual([]);
  });
});
