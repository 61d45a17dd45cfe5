import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newDemoOut } from "../src/cli/demo-out.ts";
import { cli } from "./support/cli.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";
import { describeWithTrainer, SHARED_TRAINER_PYTHON } from "./support/trainer.ts";
import { scaled } from "./support/load.ts";

/**
 * `loragate demo` with this trainer Python, its outputs in a folder of its own; checks what every demo run
 * must show: the text scorecard with its verdict on the first screen, and what it leaves for the next step.
 */
async function demo(python: string) {
  process.env.LORAGATE_TRAINER_PYTHON = python;
  const out = mkdtempSync(join(tmpdir(), "loragate-demo-out-"));
  try {
    const r = await cli("demo", "--out", out);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(
      /one invalid adapter per rule: the ✗ lines below fail on purpose/,
    );
    expect(r.stdout).toContain("✓ math-gsm8k");
    expect(r.stdout).toMatch(/29 adapters checked, 28 with errors/);
    // the verdict on the first screen: the check's planted failures take a few lines, not one per finding
    expect(r.stdout.split("\n").findIndex((l) => l.startsWith("loragate scorecard: "))).toBeLessThan(24);
    const card = r.stdout.slice(r.stdout.indexOf("loragate scorecard: "));
    expect(card.split("\n")[0]).toBe("loragate scorecard: math-gsm8k 0.2.0: ✓ passes the bar");
    expect(card).toMatch(/^math +registry's domain +60 /m);
    expectOneStory(card, out);
    expect(card).not.toMatch(/<!--|<details>|```|\| --- \|/);
    expect(r.stdout).toContain("the same data with shuffled answers: ✗ does not pass the bar");
    expect(r.stdout).not.toContain("`"); // plain text: no markdown in a terminal
    expect(r.stderr).toContain("base + adapter: 240 items");
    // what it leaves, and the next commands README shows, run on it
    for (const file of [
      "tiny-llama-fixture-f32.gguf",
      "math-gsm8k-trained.gguf",
      "results.json",
      "site/index.html",
    ])
      expect(existsSync(join(out, file)), file).toBe(true);
    // from the sources, as here: the checkout's way to run loragate, from the folder the demo ran in
    expect(r.stdout).toContain(
      `\n  npm run loragate -- scorecard ${join(out, "results.json")} --registry fixtures/registry\n`,
    );
    const scorecard = await cli("scorecard", join(out, "results.json"), "--registry", FIXTURE_ROOT);
    expect(scorecard.code).toBe(0);
    // the same card, but for who trained the adapter: results.json records its training, not this run's
    const withoutTraining = (text: string) => text.replace(/^training.*\n/m, "");
    expect(withoutTraining(scorecard.stdout)).toBe(
      withoutTraining(card.slice(0, card.indexOf("\n\n", card.indexOf("\nbase ")) + 1)),
    );
    const base = join(out, "tiny-llama-fixture-f32.gguf");
    const adapter = join(out, "math-gsm8k-trained.gguf");
    expect(r.stdout).toContain(
      `\n  npm run loragate -- eval --base ${base} --adapter ${adapter} --registry fixtures/registry`,
    );
    const again = join(out, "my-results.json");
    const evaluated = await cli(
      ...["eval", "--base", base, "--adapter", adapter, "--registry", FIXTURE_ROOT, "--name", "math-gsm8k"],
      ...["--out", again],
    );
    expect(evaluated.code).toBe(0);
    expect((await cli("scorecard", again, "--registry", FIXTURE_ROOT)).code).toBe(0);
    return r;
  } finally {
    delete process.env.LORAGATE_TRAINER_PYTHON;
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The demo tells one story: the adapter gains on the registry's own benchmark of its domain (not only on
 * the contributor's), and the page the demo publishes shows the scorecard's numbers.
 */
function expectOneStory(card: string, out: string): void {
  const row = /^math +registry's domain +60 +(\d\.\d\d) +(\d\.\d\d) +([+-]\d+\.\d) /m.exec(card);
  expect(row, "the scorecard's row of the registry's math benchmark").not.toBeNull();
  const [base, adapter, delta] = row!.slice(1).map(Number) as [number, number, number];
  expect(delta).toBeGreaterThan(20); // what the adapter learned shows on the maintainers' benchmark
  const steps = /^training[^:]*: (\d+) logged steps/m.exec(card)![1];
  const site = join(out, "site", "index.html");
  const page = readFileSync(site, "utf8");
  const leaderboard =
    /adapters\/math-gsm8k\.html">math-gsm8k<\/a><\/th><td>0\.2\.0<\/td><td>.*?<\/td><td class="num score">([\d.]+)<\/td><td class="num">([\d.]+)<\/td><td class="num"><span class="\w+">([+-][\d.]+)<\/span>/.exec(
      page,
    );
  expect(leaderboard, "the page's leaderboard row of math-gsm8k").not.toBeNull();
  const [score, baseScore, shownDelta] = leaderboard!.slice(1).map(Number) as [number, number, number];
  // the page shows points with one decimal, the scorecard scores with two: the same numbers, rounded
  expect(Math.abs(score - adapter * 100)).toBeLessThanOrEqual(0.5);
  expect(Math.abs(baseScore - base * 100)).toBeLessThanOrEqual(0.5);
  expect(shownDelta).toBe(delta);
  const adapterPage = readFileSync(join(site, "..", "adapters", "math-gsm8k.html"), "utf8");
  expect(adapterPage).toMatch(new RegExp(`\\d+ of ${steps} logged steps`));
}

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

  it("demo without a trainer environment: the committed adapters, trained passes the bar, shuffled fails", async () => {
    const r = await demo("/nonexistent/python");
    // it says what it evaluates, and nothing reads as if it had trained them
    expect(r.stderr).toMatch(
      /nothing is trained now: evaluating the adapters train\.py made from this data \(fixtures\/trained, train\.py at [^)]+\)\n/,
    );
    expect(r.stdout).toMatch(
      /^training \(fixtures\/trained, train\.py at .*; not trained by this run\): 1300 logged steps, loss /m,
    );
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/retrained|Retraining|logged steps in \d+ s/);
  }, 300_000);

  it("each demo run gets a folder of its own unless --out is given", () => {
    const [a, b] = [newDemoOut(), newDemoOut()];
    expect(a).not.toBe(b);
    expect(a.startsWith(join(tmpdir(), "loragate-demo-"))).toBe(true);
    expect(existsSync(a)).toBe(false); // made only when the demo writes its outputs
  });
});

describeWithTrainer("loragate demo with the trainer's environment", { timeout: scaled(600_000) }, () => {
  it("retrains both adapters with train.py, then the same verdicts", async () => {
    const r = await demo(SHARED_TRAINER_PYTHON); // the trainings retrain.test.ts made, when it ran first
    expect(r.stderr).toContain("step 1300/1300");
    expect(r.stdout).toMatch(/^training: 1300 logged steps in \d+ s, loss /m);
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
