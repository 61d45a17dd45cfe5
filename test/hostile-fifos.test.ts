/**
 * FIFOs, devices and folders where a file is read (issue 27, item 13's hidden-benchmark part): refused
 * at once by their type, never waited on. A FIFO in LORAGATE_HIDDEN_DIR hung the action's read for ever,
 * and the pending open then kept the process alive past SIGTERM.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readBenchmarkFile } from "../src/io/benchmark-file.ts";
import { sha256File } from "../src/io/sha256-file.ts";
import { scratchFolder } from "./support/scratch.ts";
import { scaled } from "./support/load.ts";

const dir = scratchFolder("hostile-fifos");
const fifo = join(dir, "hidden.jsonl");
execFileSync("mkfifo", [fifo]);
const item = JSON.stringify({ id: "h-1", instruction: "Add 2 and 2.", input: "", expected_output: "4" });
writeFileSync(join(dir, "real.jsonl"), `${item}\n`);
symlinkSync(join(dir, "real.jsonl"), join(dir, "linked.jsonl"));
mkdirSync(join(dir, "folder.jsonl"));

describe("a hidden benchmark file that is no regular file is refused at once", () => {
  it("a FIFO: refused by type, by its label only", async () => {
    await expect(readBenchmarkFile(fifo, "hidden 1")).rejects.toThrow(
      "hidden 1 is not a regular file (a FIFO, socket or device is never read)",
    );
  });

  it.each([
    ["/dev/zero", "/dev/zero"],
    ["/dev/null", "/dev/null"],
    ["a folder", join(dir, "folder.jsonl")],
  ])("%s: refused, naming no path", async (_name, path) => {
    const refusal = readBenchmarkFile(path, "hidden 2");
    await expect(refusal).rejects.toThrow(/^hidden 2 (is not a regular file|could not be read)/);
    await expect(refusal).rejects.not.toThrow(path);
  });

  it("sha256File refuses a FIFO and /dev/zero instead of reading for ever", async () => {
    await expect(sha256File(fifo)).rejects.toThrow(/not a regular file/);
    await expect(sha256File("/dev/zero")).rejects.toThrow(/not a regular file/);
  });

  it("a regular file, and a maintainer's link to one, still read", async () => {
    expect(await readBenchmarkFile(join(dir, "real.jsonl"), "hidden 3")).toHaveLength(1);
    expect(await readBenchmarkFile(join(dir, "linked.jsonl"), "hidden 4")).toHaveLength(1);
    expect(await sha256File(join(dir, "real.jsonl"))).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a process reading a FIFO benchmark ends by itself, no SIGTERM needed", async () => {
    const script = `import("./src/io/benchmark-file.ts").then((m) => m.readBenchmarkFile(${JSON.stringify(fifo)}, "hidden 1")).catch((e) => { console.log(e.message); process.exitCode = 3; });`;
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), scaled(20_000));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    expect(code).toBe(3);
    expect(stdout).toContain("hidden 1 is not a regular file");
  }, 30_000);
});
