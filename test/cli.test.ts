import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./support/cli.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";
import { scaled } from "./support/load.ts";

describe("loragate check", () => {
  it("exits 0 on a clean adapter and says so", async () => {
    const r = await cli("check", FIXTURE_ROOT, "--adapter", "math-gsm8k");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "✓ math-gsm8k: 0 errors, 0 warnings (520 training examples, 60 benchmark items)",
    );
  });

  it("exits 1 with compiler-style lines on findings", async () => {
    const r = await cli("check", FIXTURE_ROOT, "--adapter", "bad-empty-output");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^adapters\/bad-empty-output\/training\/dataset\.jsonl:17:\d+ error output: output is empty \[empty-output\]\n {2}hint: /m,
    );
  });

  it("prints one JSON document with adapters, findings and stats", async () => {
    const r = await cli("check", FIXTURE_ROOT, "--format", "json", "--adapter", "bad-rank");
    const doc = JSON.parse(r.stdout);
    expect(doc.adapters).toHaveLength(1);
    expect(doc.adapters[0]).toMatchObject({ name: "bad-rank", ok: false, stats: { train: { unique: 520 } } });
    expect(doc.adapters[0].findings[0]).toMatchObject({
      file: "adapters/bad-rank/adapter.yaml",
      line: 11,
      column: 3,
      field: "lora.r",
      rule: "hyperparameter-range",
      severity: "error",
    });
  });

  it("prints GitHub workflow-command annotations, escaped", async () => {
    const r = await cli("check", FIXTURE_ROOT, "--format", "github", "--adapter", "bad-json-syntax");
    expect(r.stdout).toMatch(
      /^::error file=adapters\/bad-json-syntax\/training\/dataset\.jsonl,line=5,col=\d+,title=loragate jsonl-syntax::not valid JSON/,
    );
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("escapes hostile adapter names in text output", async () => {
    const root = mkdtempSync(join(tmpdir(), "loragate-cli-hostile-name-"));
    try {
      cpSync(FIXTURE_ROOT, root, { recursive: true, verbatimSymlinks: true });
      cpSync(join(root, "adapters/math-gsm8k"), join(root, "adapters/evil\nname"), { recursive: true });
      const r = await cli("check", root, "--adapter", "evil\nname");
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("adapters/evil\\nname error");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("names the adapters there are when --adapter names none, the name escaped", async () => {
    const r = await cli("check", FIXTURE_ROOT, "--adapter", "evil\nname");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `loragate: no adapter "evil\\nname" in ${join(FIXTURE_ROOT, "adapters")}: it has analysis-basic, bad-absolute-path, bad-base, bad-bom, bad-difficulty, bad-duplicate-id, bad-duplicate-key, bad-duplicates, bad-empty-output, bad-invalid-utf8, and 19 more\n`,
    );
  });

  it("exits 2 on usage errors and missing folders", async () => {
    expect((await cli("check", "--format", "xml")).code).toBe(2);
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("check", "--bogus")).code).toBe(2);
    expect((await cli("check", "/nonexistent/registry")).code).toBe(2);
    expect((await cli()).code).toBe(2);
  });

  it("compares with --hidden benchmarks but prints only their ids", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loragate-hidden-"));
    const lines = readFileSync(join(FIXTURE_ROOT, "benchmarks/math/benchmark.jsonl"), "utf8")
      .split("\n")
      .slice(0, 2);
    writeFileSync(join(dir, "secret.jsonl"), `${lines.join("\n")}\n`);
    for (const format of ["text", "json", "github"]) {
      const r = await cli(
        "check",
        FIXTURE_ROOT,
        "--adapter",
        "math-leaky",
        "--format",
        format,
        "--hidden",
        join(dir, "secret.jsonl"),
      );
      expect(r.code).toBe(1);
      if (format !== "github") expect(r.stdout).toContain("hidden"); // annotations name the strongest (registry) match
      for (const line of lines) expect(r.stdout).not.toContain(JSON.parse(line).input.slice(0, 40));
      expect(r.stdout).not.toContain(dir);
    }
    expect((await cli("check", FIXTURE_ROOT, "--hidden", join(dir, "missing.jsonl"))).code).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a --hidden benchmark with a line that is not a valid item, by line and rule, never its text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loragate-hidden-"));
    try {
      const [good] = readFileSync(join(FIXTURE_ROOT, "benchmarks/math/benchmark.jsonl"), "utf8").split("\n");
      const secret = "SECRET-QUESTION-TEXT how many apples";
      writeFileSync(
        join(dir, "secret.jsonl"),
        `${good}\n{"id": "h2", "instruction": "${secret}", "input": ""}\n{not json ${secret}\n`,
      );
      const r = await cli(
        "check",
        FIXTURE_ROOT,
        "--adapter",
        "math-gsm8k",
        "--hidden",
        join(dir, "secret.jsonl"),
      );
      expect(r).toEqual({
        code: 2,
        stdout: "",
        stderr:
          "loragate: hidden:1 is not a valid benchmark: line 2 [missing-field], line 3 [jsonl-syntax]; fix the file at those lines (their text is not shown here)\n",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("inputs that are not regular files: exit 2 with the path, never a hang or a stack", () => {
  const dir = mkdtempSync(join(tmpdir(), "loragate-cli-inputs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, "pipe");
  execFileSync("mkfifo", [fifo]); // nothing ever writes to it: reading it would block for ever
  const folder = join(dir, "folder");
  mkdirSync(folder);

  it.each([
    [["scorecard", fifo], /results file .*pipe is not a regular file/],
    [["scorecard", folder], /results file .*folder is a folder, not a file/],
    [
      ["check", FIXTURE_ROOT, "--adapter", "math-gsm8k", "--hidden", fifo],
      /hidden benchmark .*pipe is not a regular file/,
    ],
    [
      ["check", FIXTURE_ROOT, "--adapter", "math-gsm8k", "--hidden", folder],
      /hidden benchmark .*folder is a folder/,
    ],
    [["proposal", "check", fifo], /proposal .*pipe is not a regular file/],
    [["check", fifo], /registry folder .*pipe is a file, not a folder/],
    [["scorecard", fifo, "--registry", "/nonexistent"], /--registry folder not found: \/nonexistent/],
    [["proposal", "check", fifo, "--registry", fifo], /--registry folder .*pipe is a file, not a folder/],
  ])("loragate %j", async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it("a config that is a FIFO or a folder is a file-type finding, and is never opened", async () => {
    for (const make of [(p: string) => execFileSync("mkfifo", [p]), (p: string) => mkdirSync(p)]) {
      const root = mkdtempSync(join(dir, "registry-"));
      cpSync(FIXTURE_ROOT, root, { recursive: true, verbatimSymlinks: true });
      rmSync(join(root, ".github", "loragate.yml"));
      make(join(root, ".github", "loragate.yml"));
      const r = await cli("check", root, "--adapter", "math-gsm8k");
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /\.github\/loragate\.yml error \.github\/loragate\.yml is (a folder|not a regular file) \[file-type\]/,
      );
    }
  });
});

describe("the installed bin (the bundled CLI in dist/cli-bundle)", () => {
  it("reports as the sources do, its contamination worker threads included", async () => {
    const root = mkdtempSync(join(tmpdir(), "loragate-cli-bundle-"));
    try {
      cpSync(FIXTURE_ROOT, root, { recursive: true, verbatimSymlinks: true });
      const train = join(root, "adapters/math-gsm8k/training/dataset.jsonl");
      // 16 MB of distinct examples: past the size whose contamination pass goes to worker threads.
      const rows = readFileSync(train, "utf8").trim().split("\n");
      const lines = Array.from({ length: 120_000 }, (_, i) => {
        const row = JSON.parse(rows[i % rows.length]!) as { input: string };
        return JSON.stringify({ ...row, input: `${row.input} (shelf ${i.toString(36)})` });
      });
      writeFileSync(train, `${lines.join("\n")}\n`);
      const argv = ["check", root, "--adapter", "math-gsm8k", "--format", "json"];
      const bin = spawnSync(process.execPath, ["bin/loragate.js", ...argv], { encoding: "utf8" });
      const sources = await cli(...argv);
      expect(bin.stderr).toBe("");
      expect({ code: bin.status, report: JSON.parse(bin.stdout) as unknown }).toEqual({
        code: sources.code,
        report: JSON.parse(sources.stdout) as unknown,
      });
      const [adapter] = (JSON.parse(bin.stdout) as { adapters: { contamination: { examples: number } }[] })
        .adapters;
      expect(adapter!.contamination.examples).toBe(120_000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("a reader that stops early", () => {
  it("`loragate check | head -1`: the closed pipe ends the output, not in a crash; the exit code is the check's", () => {
    // The shell runs both, as a user does; pipefail gives loragate's own exit code.
    const run = spawnSync(
      "bash",
      ["-o", "pipefail", "-c", `node bin/loragate.js check "${FIXTURE_ROOT}" --format json | head -1`],
      { encoding: "utf8" },
    );
    expect({ stdout: run.stdout, stderr: run.stderr, code: run.status }).toEqual({
      stdout: "{\n",
      stderr: "",
      code: 1, // the fixture registry holds one invalid adapter per rule
    });
  }, 30_000);
});

describe("an interrupted check", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s mid-read ends the process at once, says so, and exits with the shell's code",
    async (signal) => {
      const root = mkdtempSync(join(tmpdir(), "loragate-cli-interrupt-"));
      try {
        cpSync(FIXTURE_ROOT, root, { recursive: true, verbatimSymlinks: true });
        const train = join(root, "adapters/math-gsm8k/training/dataset.jsonl");
        const block = readFileSync(train, "utf8").repeat(10); // its copies are findings, cheaply
        writeFileSync(train, block.repeat(130)); // 94 MB (the limit is 100): seconds of work, in workers
        const child = spawn(
          process.execPath,
          ["bin/loragate.js", "check", root, "--adapter", "math-gsm8k"], // as installed: its dataset workers too
          { stdio: ["ignore", "pipe", "pipe"] },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c));
        child.stderr.on("data", (c: Buffer) => (stderr += c));
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
          child.on("close", (code, killedBy) => resolve([code, killedBy])),
        );
        await new Promise((resolve) => setTimeout(resolve, 700)); // begun (0.2 s), far from done (2 s)
        const sentAt = performance.now();
        child.kill(signal);
        const [code, killedBy] = await exited;
        expect({ code, killedBy }).toEqual({ code: signal === "SIGINT" ? 130 : 143, killedBy: null });
        expect(performance.now() - sentAt).toBeLessThan(scaled(1500));
        expect(stderr).toContain(`loragate: interrupted by ${signal}`);
        expect(stdout).not.toContain("adapters checked"); // it stopped; it did not finish first
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    30_000,
  );
});
