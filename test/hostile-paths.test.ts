/**
 * What an adapter PR may not touch (issue 27, item 9): the files the app's merge writes and what the
 * maintainers keep, each a protected-path error on that file; the adapter's own folder stays free.
 */
import { describe, expect, it } from "vitest";
import { protectedPathFinding } from "../src/core/adapter/protected-paths.ts";

describe("protected paths of a pull request", () => {
  it.each([
    [
      "another adapter's published record",
      "evaluations/code-basic/0.1.0.json",
      false,
      "only loragate writes it",
    ],
    [
      "a forged record of its own adapter",
      "evaluations/math-gsm8k/9.9.9.json",
      true,
      "only loragate writes it",
    ],
    [
      "a new folder's record under evaluations/",
      "evaluations/new/1.0.0.json",
      true,
      "only loragate writes it",
    ],
    ["registry.yaml", "registry.yaml", false, "only loragate writes it"],
    ["the leaderboard", "LEADERBOARD.md", false, "only loragate writes it"],
    ["the app's config", ".github/loragate.yml", false, "maintainers change it"],
    ["a workflow", ".github/workflows/x.yml", true, "maintainers change it"],
    ["a registry benchmark", "benchmarks/math/benchmark.jsonl", false, "maintainers change it"],
    ["a new file at the root", "index.html", true, "maintainers change it"],
    ["a new dotfile at the root", ".gitattributes", true, "maintainers change it"],
  ])("%s: %s is a protected-path error", (_name, path, added, reason) => {
    const finding = protectedPathFinding(path, added);
    expect(finding).toMatchObject({ file: path, line: 0, rule: "protected-path", severity: "error" });
    expect(finding?.message).toContain(reason);
  });

  it.each([
    ["the adapter's own manifest", "adapters/math-gsm8k/adapter.yaml", true],
    ["the adapter's training set", "adapters/math-gsm8k/training/dataset.jsonl", false],
    ["an edit of a root file that is there (README.md)", "README.md", false],
    ["a name that only starts like a protected folder", "evaluationsx/a.json", true],
  ])("%s: no finding", (_name, path, added) => {
    expect(protectedPathFinding(path, added)).toBeUndefined();
  });
});
