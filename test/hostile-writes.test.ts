import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeLocoLLMFixture } from "../fixtures/locollm.ts";
import { writeSiteRegistry } from "../fixtures/site-registry.ts";
import { scratchFolder } from "./support/scratch.ts";
import { cli } from "./support/cli.ts";

// What the CLI's writing commands (import, site) do with an --out that would destroy what the user keeps,
// or that cannot be written: exit 2 with one line naming the folder, and nothing of the user's lost.
const dir = scratchFolder("hostile-writes");

const NO_STACK = /\n\s+at \S+ \(/;

/** A LocoLLM repository that is also a git checkout with its own data, plus the marker file of an import. */
function locoWithMarker(name: string): string {
  const loco = join(dir, name);
  writeLocoLLMFixture(loco);
  mkdirSync(join(loco, ".git"));
  writeFileSync(join(loco, ".git", "HEAD"), "ref: refs/heads/main\n");
  writeFileSync(join(loco, "IMPORT_REPORT.md"), "# my own notes\n");
  return loco;
}

/** A registry that is a git checkout and holds a `.loragate-site` marker (a site once built into it). */
function registryWithMarker(name: string): string {
  const registry = join(dir, name);
  writeSiteRegistry(registry);
  mkdirSync(join(registry, ".git"));
  writeFileSync(join(registry, ".git", "HEAD"), "ref: refs/heads/main\n");
  writeFileSync(join(registry, ".loragate-site"), "");
  return registry;
}

function intact(root: string): void {
  expect(readFileSync(join(root, ".git", "HEAD"), "utf8")).toBe("ref: refs/heads/main\n");
}

describe("an --out that is, holds or lies inside the input is refused, the input intact (item 1)", () => {
  it("import locollm R --out R, R holding an IMPORT_REPORT.md", async () => {
    const loco = locoWithMarker("loco-same");
    const run = await cli("import", "locollm", loco, "--out", loco);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--out .*loco-same is the folder the import reads/);
    intact(loco);
    expect(existsSync(join(loco, "adapters/registry.yaml"))).toBe(true);
  });

  it("import locollm R --out R/., the same folder spelled otherwise", async () => {
    const loco = locoWithMarker("loco-dot");
    const run = await cli("import", "locollm", loco, "--out", `${loco}/./`);
    expect(run.code).toBe(2);
    intact(loco);
  });

  it("import locollm R --out LINK, a symlink to R", async () => {
    const loco = locoWithMarker("loco-link");
    symlinkSync(loco, join(dir, "loco-link-alias"));
    const run = await cli("import", "locollm", loco, "--out", join(dir, "loco-link-alias"));
    expect(run.code).toBe(2);
    intact(loco);
  });

  it("import locollm R/sub --out R: the output would hold the input", async () => {
    const parent = join(dir, "loco-parent");
    mkdirSync(parent);
    writeFileSync(join(parent, "IMPORT_REPORT.md"), "# not ours\n");
    writeLocoLLMFixture(join(parent, "loco"));
    const run = await cli("import", "locollm", join(parent, "loco"), "--out", parent);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/holds .*loco, which the import reads/);
    expect(existsSync(join(parent, "loco", "adapters/registry.yaml"))).toBe(true);
  });

  it("import locollm R --out R/imported: the output would lie inside the input", async () => {
    const loco = locoWithMarker("loco-inside");
    const run = await cli("import", "locollm", loco, "--out", join(loco, "imported"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/lies inside .*loco-inside, which the import reads/);
    expect(existsSync(join(loco, "imported"))).toBe(false);
  });

  it("import into a git checkout that holds an IMPORT_REPORT.md: nothing replaced", async () => {
    const loco = join(dir, "loco-src");
    writeLocoLLMFixture(loco);
    const other = join(dir, "other-repo");
    mkdirSync(join(other, ".git"), { recursive: true });
    writeFileSync(join(other, ".git", "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(other, "data.csv"), "a,b\n");
    writeFileSync(join(other, "IMPORT_REPORT.md"), "# mine\n");
    const run = await cli("import", "locollm", loco, "--out", other);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/holds \.git, data\.csv, which no earlier run wrote: nothing was replaced/);
    expect(run.stderr).not.toMatch(NO_STACK);
    intact(other);
    expect(readFileSync(join(other, "data.csv"), "utf8")).toBe("a,b\n");
  });

  it("an earlier import is still replaced by a rerun", async () => {
    const loco = join(dir, "loco-rerun");
    writeLocoLLMFixture(loco);
    const out = join(dir, "rerun-out");
    expect((await cli("import", "locollm", loco, "--out", out)).code).toBe(0);
    writeFileSync(join(out, "registry.yaml"), "stale\n");
    expect((await cli("import", "locollm", loco, "--out", out)).code).toBe(0);
    expect(readFileSync(join(out, "registry.yaml"), "utf8")).not.toBe("stale\n");
  });

  it("site R --out R, R holding a .loragate-site marker", async () => {
    const registry = registryWithMarker("reg-same");
    const run = await cli("site", registry, "--out", registry);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is the folder the site reads/);
    intact(registry);
    expect(existsSync(join(registry, "registry.yaml"))).toBe(true);
  });

  it("site R --out R/site: inside the registry it reads", async () => {
    const registry = registryWithMarker("reg-inside");
    const run = await cli("site", registry, "--out", join(registry, "site"));
    expect(run.code).toBe(2);
    expect(existsSync(join(registry, "site"))).toBe(false);
  });

  it("site R --out PARENT: around the registry it reads", async () => {
    const parent = join(dir, "reg-parent");
    mkdirSync(parent);
    writeFileSync(join(parent, ".loragate-site"), "");
    writeSiteRegistry(join(parent, "registry"));
    const run = await cli("site", join(parent, "registry"), "--out", parent);
    expect(run.code).toBe(2);
    expect(existsSync(join(parent, "registry", "registry.yaml"))).toBe(true);
  });

  it("site into a folder with a marker and other data: nothing replaced", async () => {
    const registry = join(dir, "reg-src");
    writeSiteRegistry(registry);
    const other = join(dir, "marked-other");
    mkdirSync(other);
    writeFileSync(join(other, ".loragate-site"), "");
    writeFileSync(join(other, "thesis.tex"), "mine");
    const run = await cli("site", registry, "--out", other);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/holds thesis\.tex, which no earlier run wrote/);
    expect(readFileSync(join(other, "thesis.tex"), "utf8")).toBe("mine");
  });

  it("site --out SYMLINK to a folder: refused, the folder intact", async () => {
    const registry = join(dir, "reg-src");
    const target = join(dir, "link-target");
    mkdirSync(target);
    writeFileSync(join(target, ".loragate-site"), "");
    symlinkSync(target, join(dir, "site-link"));
    const run = await cli("site", registry, "--out", join(dir, "site-link"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is a symbolic link/);
    expect(existsSync(join(target, ".loragate-site"))).toBe(true);
  });
});

describe("an --out that cannot be written: exit 2 naming it, no stack (item 12)", () => {
  const registry = join(dir, "reg-writes");
  writeSiteRegistry(registry);
  const file = join(dir, "a-file");
  writeFileSync(file, "x");

  it.each([
    ["a path under a file", () => join(file, "site")],
    ["a folder under /sys", () => "/sys/loragate-x"],
    ["a folder under /proc", () => "/proc/loragate-x"],
    ["a folder whose parent is missing and cannot be made", () => "/proc/1/loragate/x"],
  ])("site --out %s", async (_name, out) => {
    const run = await cli("site", registry, "--out", out());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--out ${out()}`);
    expect(run.stderr).not.toMatch(NO_STACK);
  });

  it.each([
    ["a path under a file", () => join(file, "import")],
    ["a folder under /sys", () => "/sys/loragate-x"],
    ["a folder under /proc", () => "/proc/loragate-x"],
  ])("import locollm --out %s", async (_name, out) => {
    const loco = join(dir, "loco-writes");
    if (!existsSync(loco)) writeLocoLLMFixture(loco);
    const run = await cli("import", "locollm", loco, "--out", out());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--out ${out()}`);
    expect(run.stderr).not.toMatch(NO_STACK);
  });

  it("site --out . in an empty folder writes the site there", async () => {
    const here = join(dir, "empty-here");
    mkdirSync(here);
    const cwd = process.cwd();
    process.chdir(here);
    try {
      const run = await cli("site", registry, "--out", ".");
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(here, "index.html"))).toBe(true);
  });

  it("site --out . in a folder of the user's: exit 2, nothing written", async () => {
    const here = join(dir, "busy-here");
    mkdirSync(here);
    writeFileSync(join(here, "keep.txt"), "mine");
    const cwd = process.cwd();
    process.chdir(here);
    try {
      const run = await cli("site", registry, "--out", ".");
      expect(run.code).toBe(2);
      expect(run.stderr).not.toMatch(NO_STACK);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(here, "index.html"))).toBe(false);
  });
});

describe("eval --out that cannot be written: exit 2 before any model loads (item 12)", () => {
  const file = join(dir, "b-file");
  writeFileSync(file, "x");
  it.each([
    ["a path under a file", () => join(file, "results.json")],
    ["a folder", () => dir],
    ["a file in a missing folder", () => join(dir, "missing", "results.json")],
  ])("eval --out %s", async (_name, out) => {
    const run = await cli(
      "eval",
      "--base",
      join(dir, "no-model.gguf"),
      "--benchmark",
      file,
      "--adapter",
      file,
      "--out",
      out(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--out ${out()}`);
    expect(run.stderr).not.toMatch(NO_STACK);
  });
});
