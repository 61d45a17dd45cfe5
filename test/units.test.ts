import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DuplicateIndex } from "../src/core/dataset/duplicate-index.ts";
import { trainingFieldTypes } from "../src/core/dataset/line-rules.ts";
import { streamLines } from "../src/core/dataset/jsonl.ts";
import { TrainingExampleSchema } from "../src/core/schemas/records.ts";
import { checkRelativePath } from "../src/core/registry/paths.ts";
import { compareSemver } from "../src/core/registry/semver.ts";
import { charCountOfUtf8Prefix, firstInvalidUtf8 } from "../src/core/text.ts";
import { locateYamlPath } from "../src/core/registry/yaml.ts";
import { RegistrySchema } from "../src/core/schemas/registry.ts";
import { readBenchmarkFile } from "../src/io/benchmark-file.ts";

describe("locateYamlPath", () => {
  const doc =
    "# comment\nname: x\nlora:\n  r: 16\n  target_modules:\n    - q_proj\n    - v_proj\ntraining: {epochs: 3, seed: 1}\nlist:\n  - name: a\n    size: 1\n  - name: b\n    size: 2\n";
  it.each([
    [["name"], 2, 1],
    [["lora", "r"], 4, 3],
    [["lora", "target_modules", 1], 7, 5],
    [["training", "seed"], 8, 23],
    [["list", 1, "size"], 13, 5],
  ] as const)("%j is at %i:%i", (path, line, column) => {
    expect(locateYamlPath(doc, path)).toEqual({ line, column });
  });
  it("falls back to the nearest ancestor for a missing key", () => {
    expect(locateYamlPath(doc, ["lora", "alpha"])).toEqual({ line: 3, column: 1 });
  });
});

describe("compareSemver", () => {
  it.each([
    ["1.0.0", "0.9.9", 1],
    ["0.2.0", "0.10.0", -1],
    ["1.0.0", "1.0.0", 0],
    ["1.0.0-rc.1", "1.0.0", -1],
    ["1.0.0-rc.2", "1.0.0-rc.10", -1],
    ["1.0.0-alpha", "1.0.0-1", 1],
  ])("%s vs %s is %i", (a, b, sign) => expect(compareSemver(a, b)).toBe(sign));
});

describe("checkRelativePath", () => {
  it.each([
    ["training/dataset.jsonl", undefined],
    ["../x", "path-traversal"],
    ["a/../../x", "path-traversal"],
    ["/etc/passwd", "absolute-path"],
    ["C:/x", "absolute-path"],
    ["~/x", "absolute-path"],
    ["a\\b", "invalid-path"],
    ["a//b", "invalid-path"],
    ["a\nb", "invalid-path"],
  ])("%j -> %s", (path, rule) => expect(checkRelativePath(path)?.rule).toBe(rule));
});

describe("UTF-8 helpers", () => {
  it("find the first invalid byte, including overlongs and surrogates", () => {
    expect(firstInvalidUtf8(Buffer.from("héllo ✓ 😀"))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x62, 0xe2, 0x9c]))).toBe(2); // truncated
  });
  it("count characters as editors do", () => {
    expect(charCountOfUtf8Prefix(Buffer.from("é😀x"), Buffer.byteLength("é😀"))).toBe(3);
  });
});

describe("DuplicateIndex", () => {
  it("remembers the first line of each text through growth", () => {
    const index = new DuplicateIndex(4);
    for (let i = 1; i <= 10_000; i++) expect(index.addOrGet(i, `example ${i}`, "")).toBe(0);
    expect(index.addOrGet(10_001, "example 1", "")).toBe(1);
    expect(index.addOrGet(10_002, "example 9999", "")).toBe(9999);
    expect(index.count).toBe(10_000);
  });
  it("keeps part boundaries: (ab, c) is not (a, bc)", () => {
    const index = new DuplicateIndex();
    expect(index.addOrGet(1, "ab", "c")).toBe(0);
    expect(index.addOrGet(2, "a", "bc")).toBe(0);
    expect(index.addOrGet(3, "ab", "c")).toBe(1);
  });
});

describe("evaluation inputs", () => {
  it("accept only strict shapes", async () => {
    const { checkEvaluationInputs } = await import("../src/github/dispatch.ts");
    const good = {
      pr: 2,
      head_sha: "a".repeat(40),
      adapter: "math-gsm8k",
      correlation_id: "pr2-aaaaaaaaaaaa",
    };
    expect(checkEvaluationInputs(good)).toBeUndefined();
    expect(checkEvaluationInputs({ ...good, adapter: "x; rm -rf /" })).toMatch(/adapter/);
    expect(checkEvaluationInputs({ ...good, head_sha: "main" })).toMatch(/head_sha/);
    expect(checkEvaluationInputs({ ...good, pr: -1 })).toMatch(/pr/);
    expect(checkEvaluationInputs({ ...good, correlation_id: "$(id)" })).toMatch(/correlation_id/);
  });
});

describe("registry.yaml's base pin", () => {
  const pin = (hub_id: string, revision: string) =>
    RegistrySchema.shape.base.safeParse({
      id: "b",
      training: { hub_id, revision },
      inference: { file: "b.gguf", sha256: "0".repeat(64), quantization: "Q4_K_M" },
    }).success;
  it("names model-cache folders that cannot climb out of the cache", () => {
    expect(pin("Qwen/Qwen3-4B", "1cfa9a7208912126459214e8b04321603b3df60c")).toBe(true);
    expect(pin("loragate/tiny-llama-fixture", "main")).toBe(true);
    expect(pin("../../etc", "main")).toBe(false);
    expect(pin("a/..", "main")).toBe(false);
    expect(pin("a/b", "..")).toBe(false);
    expect(pin("a/b", "x/../../y")).toBe(false);
  });
});

describe("streamLines", () => {
  it("gives the event loop turns while it splits chunks already in memory", async () => {
    const chunk = Buffer.from('{"a": 1}\n'.repeat(100_000));
    const chunks = Array.from({ length: 60 }, () => chunk); // no I/O between them to wait on
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    let lines = 0;
    try {
      await streamLines(chunks as never, 1 << 20, true, { line: () => lines++, problem: () => {} });
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    expect(lines).toBe(6_000_000);
    // A turn at least every 50 ms of work (a blocked loop gets no tick at all).
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 100));
    expect(ticks).toBeGreaterThan(0);
  });
});

describe("a training record's verdict", () => {
  it("depends only on its fields' JSON types, as validateDataset's shortcut for failing lines assumes", () => {
    const samples: Record<string, [unknown, unknown]> = {
      string: ["", "x\u0000 ü".repeat(50)],
      number: [0, -3.5],
      boolean: [true, false],
      null: [null, null],
      array: [[], ["x"]],
      object: [{}, { instruction: "x" }],
      undefined: [undefined, undefined],
    };
    const types = Object.keys(samples);
    const verdict = (record: Record<string, unknown>) => {
      const parsed = TrainingExampleSchema.safeParse(record);
      return parsed.success
        ? "ok"
        : parsed.error.issues.map((i) => `${i.code}:${i.path.join(".")}`).join("|");
    };
    for (const a of types)
      for (const b of types)
        for (const c of types) {
          const [first, second] = [0, 1].map((k) => ({
            instruction: samples[a]![k],
            input: samples[b]![k],
            output: samples[c]![k],
            ...(k === 1 ? { note: "an extra key" } : {}),
          }));
          expect(trainingFieldTypes(first!)).toBe(trainingFieldTypes(second!));
          expect(verdict(second!), `${a},${b},${c}`).toBe(verdict(first!));
        }
  });
});

describe("a hidden benchmark file", () => {
  it("that cannot be read is refused by its label and the error's code, not its path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loragate-hidden-name-"));
    try {
      mkdirSync(join(dir, "gsm8k-hard-variants.jsonl")); // a folder where the file should be
      await expect(readBenchmarkFile(join(dir, "gsm8k-hard-variants.jsonl"), "hidden 1")).rejects.toThrow(
        /^hidden 1 could not be read \(EISDIR\)$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
