/**
 * Ctrl-C and SIGTERM while the check is busy (issue 27, item 7): the CLI's own process runs the check in
 * a worker thread, so its main thread is free to answer the signal at once, whatever synchronous step
 * the check is in (the contamination index of a big benchmark held the signal for seconds: 37 s seen).
 */
import { spawn } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { runCheckWork } from "../src/cli/check-in-worker.ts";
import { checkRegistry } from "../src/core/check.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";
import { scratchFolder } from "./support/scratch.ts";
import { scaled } from "./support/load.ts";

const root = scratchFolder("hostile-signals");
cpSync(FIXTURE_ROOT, root, { recursive: true, verbatimSymlinks: true });
// 300,000 distinct items: seconds of one synchronous step (the contamination index) after validation, which
// takes about 8 s in all on an idle 2-core machine, so the signals below arrive while the check is busy
const items = Array.from({ length: 300_000 }, (_, i) =>
  JSON.stringify({
    id: `q-${i}`,
    instruction: `Look up the price of item ${i} in the shop's list ${Array.from({ length: 20 }, (_, j) => `w${(i * 7 + j) % 5000}`).join(" ")}`,
    input: `What do I owe for ${i} seeds?`,
    expected_output: String(i),
    difficulty: "easy",
  }),
);
writeFileSync(join(root, "adapters/math-gsm8k/eval/benchmark.jsonl"), `${items.join("\n")}\n`);

/** The longest the event loop of this thread was held while `work` ran, in ms. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    await work();
  } finally {
    delay.disable();
  }
  return delay.max / 1e6;
}

describe("a busy check never holds the thread that answers signals (item 7)", () => {
  it("in its own process the check runs in a worker: the main thread's loop is never held for long", async () => {
    const inProcess = await longestStall(() =>
      checkRegistry({ source: new FsRegistrySource(root), adapter: "math-gsm8k" }),
    );
    let report: Awaited<ReturnType<typeof runCheckWork>> | undefined;
    const inWorker = await longestStall(async () => {
      report = await runCheckWork({ root, adapter: "math-gsm8k", hidden: [], ownProcess: true });
    });
    expect(inProcess).toBeGreaterThan(1000); // the step this guards against is real
    expect(inWorker).toBeLessThan(scaled(500)); // a correctness bound: a signal is answered within it
    expect(report!.adapters.map((a) => a.name)).toEqual(["math-gsm8k"]);
    expect(report!.adapters[0]!.stats.benchmark?.records).toBe(300_000);
  }, 120_000);

  it("the same report from a worker as in process", async () => {
    const fixture = (ownProcess: boolean) =>
      runCheckWork({ root: FIXTURE_ROOT, hidden: [], ownProcess }).then((r) => JSON.stringify(r));
    expect(await fixture(true)).toBe(await fixture(false));
  }, 60_000);

  it("a check that fails in the worker is the same error in the caller", async () => {
    await expect(
      runCheckWork({
        root: FIXTURE_ROOT, // the failure is the hidden benchmark's, whatever the registry's size
        adapter: "math-gsm8k",
        hidden: [{ file: "hidden:1", hidden: true, items: null as never }],
        ownProcess: true,
      }),
    ).rejects.toThrow();
  }, 60_000);

  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s during the contamination step ends the process at once with the shell's code",
    async (signal) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "check", root, "--adapter", "math-gsm8k"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      await new Promise((resolve) => setTimeout(resolve, 5000)); // past validation, in the index's step
      const sentAt = performance.now();
      child.kill(signal);
      const code = await exited;
      expect(code).toBe(signal === "SIGINT" ? 130 : 143);
      expect(performance.now() - sentAt).toBeLessThan(scaled(2000));
      expect(stderr).toContain(`loragate: interrupted by ${signal}`);
    },
    60_000,
  );
});
