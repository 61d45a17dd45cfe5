/**
 * No link is followed on any input (issue 27, item 8): a registry, a LocoLLM repository or a site's
 * evaluations reached through a symlinked folder are reported as links, never read, and nothing of what
 * lies behind them (its text, its sha256) reaches an output.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeLocoLLMFixture } from "../fixtures/locollm.ts";
import { writeSiteRegistry } from "../fixtures/site-registry.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";
import { FIXTURE_ROOT, readTree } from "./support/registry.ts";
import { scratchFolder } from "./support/scratch.ts";
import { cli } from "./support/cli.ts";

const dir = scratchFolder("hostile-links");

const OUTSIDE_TEXT = "OUTSIDE-THE-REGISTRY-7f3a";

/** Moves `root/rel` out of `root` and leaves a symlink to it in its place. */
function linkOut(root: string, rel: string, name: string): string {
  const outside = join(dir, `outside-${name}`);
  renameSync(join(root, rel), outside);
  symlinkSync(outside, join(root, rel));
  return outside;
}

function allText(root: string): string {
  return [...readTree(root).values()].map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : "")).join("\n");
}

describe("FsRegistrySource: a link on the way to a path is that link", () => {
  const root = join(dir, "source");
  mkdirSync(join(root, "real/inner"), { recursive: true });
  writeFileSync(join(root, "real/inner/file.txt"), "inside");
  const outside = join(dir, "source-outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.txt"), OUTSIDE_TEXT);
  symlinkSync(outside, join(root, "linked"));
  symlinkSync(join(root, "real"), join(root, "real-alias"));
  execFileSync("mkfifo", [join(root, "real/fifo")]);
  const source = new FsRegistrySource(root);

  it("stat of a file under a linked folder says symlink", async () => {
    expect((await source.stat("linked/secret.txt"))?.kind).toBe("symlink");
  });

  it("stat of a file under a link to a folder inside the registry says symlink too", async () => {
    expect((await source.stat("real-alias/inner/file.txt"))?.kind).toBe("symlink");
  });

  it("read through a linked folder is refused", async () => {
    await expect(source.read("linked/secret.txt")).rejects.toThrow(
      /not a regular file reached without a link/,
    );
  });

  it("stream through a linked folder is refused", async () => {
    const read = async () => {
      for await (const chunk of source.stream("linked/secret.txt")) void chunk;
    };
    await expect(read()).rejects.toThrow(/ELOOP|not a regular file/);
  });

  it("read of a link itself is refused (O_NOFOLLOW)", async () => {
    await expect(source.read("linked")).rejects.toThrow();
  });

  it("list of a linked folder is empty, and a walk reports the link without entering it", async () => {
    expect(await source.list("linked")).toEqual([]);
    expect(await source.list("real-alias")).toEqual([]);
    const top = await new FsRegistrySource(dir).list("source");
    expect(top.map((e) => `${e.path} ${e.kind}`)).toContain("source/linked symlink");
    expect(top.some((e) => e.path.startsWith("source/linked/"))).toBe(false);
  });

  it("read of a FIFO is refused at once instead of waiting for a writer", async () => {
    await expect(source.read("real/fifo")).rejects.toThrow(/not a regular file/);
    expect((await source.stat("real/fifo"))?.kind).toBe("other");
  });

  it("a real file still reads, whole and streamed", async () => {
    expect(Buffer.from(await source.read("real/inner/file.txt")).toString()).toBe("inside");
    const chunks: Uint8Array[] = [];
    for await (const chunk of source.stream("real/inner/file.txt")) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe("inside");
  });
});

describe("commands on inputs with a linked folder: the link is reported, what it points to never read", () => {
  it("check: a registry benchmark through a linked folder is not hashed, its sha256 never printed", async () => {
    const root = join(dir, "registry-check");
    cpSync(FIXTURE_ROOT, root, { recursive: true });
    const outside = linkOut(root, "benchmarks/math", "check");
    writeFileSync(join(outside, "benchmark.jsonl"), `${OUTSIDE_TEXT}\n`);
    const digest = createHash("sha256").update(`${OUTSIDE_TEXT}\n`).digest("hex");
    const run = await cli("check", root, "--adapter", "math-gsm8k", "--format", "json");
    expect(run.stdout + run.stderr).not.toContain(digest);
    expect(run.stdout + run.stderr).not.toContain(OUTSIDE_TEXT);
    const findings = JSON.parse(run.stdout).registry.findings as { rule: string; message: string }[];
    expect(findings).toContainEqual(
      expect.objectContaining({ rule: "missing-file", message: expect.stringMatching(/symbolic link/) }),
    );
  });

  it("import locollm: an adapter folder that is a link is not read or copied", async () => {
    const loco = join(dir, "loco-linked");
    writeLocoLLMFixture(loco);
    const outside = linkOut(loco, "adapters/math", "import");
    const evalFile = join(outside, "eval_dataset.jsonl");
    writeFileSync(
      evalFile,
      readFileSync(evalFile, "utf8")
        .replaceAll('"question":"', `"question":"${OUTSIDE_TEXT} `)
        .replaceAll('"question": "', `"question": "${OUTSIDE_TEXT} `),
    );
    const out = join(dir, "loco-linked-out");
    const run = await cli("import", "locollm", loco, "--out", out);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout + run.stderr).not.toContain(OUTSIDE_TEXT);
    expect(run.code).toBe(0);
    expect(allText(out)).not.toContain(OUTSIDE_TEXT);
  });

  it("import locollm: a linked eval_dataset file's folder one level up is not followed either", async () => {
    const loco = join(dir, "loco-linked-adapters");
    writeLocoLLMFixture(loco);
    const outside = linkOut(loco, "adapters/code", "import-code");
    writeFileSync(join(outside, "eval_dataset.jsonl"), `{"question": "${OUTSIDE_TEXT}", "answer": "x"}\n`);
    const out = join(dir, "loco-linked-adapters-out");
    const run = await cli("import", "locollm", loco, "--out", out);
    expect(run.stdout + run.stderr).not.toContain(OUTSIDE_TEXT);
    expect(run.code).toBe(0);
    expect(allText(out)).not.toContain(OUTSIDE_TEXT);
  });

  it("site: a linked evaluations/ folder is not read", async () => {
    const registry = join(dir, "site-linked");
    writeSiteRegistry(registry);
    const plain = await cli("site", registry, "--out", join(dir, "site-plain"));
    expect(plain.code).toBe(0);
    expect(readFileSync(join(dir, "site-plain/adapters/math-gsm8k.html"), "utf8")).toContain(
      '<th scope="row">0.2.0</th>',
    );
    linkOut(registry, "evaluations", "site");
    const run = await cli("site", registry, "--out", join(dir, "site-linked-out"));
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "site-linked-out/adapters/math-gsm8k.html"), "utf8")).not.toContain(
      '<th scope="row">0.2.0</th>',
    );
  });

  it("site: one adapter's evaluations folder as a link is not read", async () => {
    const registry = join(dir, "site-linked-one");
    writeSiteRegistry(registry);
    linkOut(registry, "evaluations/math-gsm8k", "site-one");
    const run = await cli("site", registry, "--out", join(dir, "site-linked-one-out"));
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "site-linked-one-out/adapters/math-gsm8k.html"), "utf8")).not.toContain(
      '<th scope="row">0.2.0</th>',
    );
  });
});
