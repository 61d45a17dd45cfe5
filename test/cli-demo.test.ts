/**
 * `loragate demo`, as README's first command runs it: one PR's path on the bundled fixture registry, with
 * the committed adapters where there is no trainer environment and retrained with train.py where there is
 * (the suite's shared trainings, which retrain.test.ts made when it ran first).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
describe("loragate demo", () => {
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
