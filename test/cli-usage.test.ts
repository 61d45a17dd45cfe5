import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./support/cli.ts";
import { FIXTURE_ROOT } from "./support/registry.ts";
import { RUN_TEMP_PREFIX } from "./support/temp-folder.ts";
import { scaled } from "./support/load.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-cli-usage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("what a first try gets wrong, named", () => {
  it("repeated --adapter checks each named adapter, not only the last", async () => {
    const r = await cli("check", FIXTURE_ROOT, "--adapter", "math-gsm8k", "--adapter", "bad-empty-output");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✓ math-gsm8k");
    expect(r.stdout).toContain("✗ bad-empty-output");
    expect(r.stdout).toMatch(/2 adapters checked, 1 with errors/);
    const typo = await cli("check", FIXTURE_ROOT, "--adapter", "math-gsm8k", "--adapter", "math-gsm9k");
    expect(typo).toMatchObject({ code: 2, stderr: expect.stringContaining('no adapter "math-gsm9k"') });
  });

  it("a folder where eval's --benchmark file belongs is named as a folder", async () => {
    const r = await cli("eval", "--base", join(dir, "b.gguf"), "--benchmark", dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--benchmark ${dir} is a folder, not a file`);
  });

  it.each([
    [["site", FIXTURE_ROOT], "site needs --out DIR"],
    [["import", "locollm", dir], "import needs --out DIR"],
    [["eval", "--benchmark", "x.jsonl"], "eval needs --base B.gguf"],
    [["eval", "--base", "b.gguf"], "eval needs --benchmark F.jsonl"],
    [["eval", "--base", "b.gguf", "--registry", FIXTURE_ROOT], "eval needs --adapter A.gguf"],
    [["pin-base", "--gguf", "b.gguf"], "pin-base needs --hf-base FOLDER"],
  ])("a missing required option is named: loragate %j", async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toContain(message);
  });

  it("an unknown command gets one line: the nearest command, or the list of them; exit 2", async () => {
    const r = await cli("chekc", FIXTURE_ROOT, "--format", "markdown");
    expect(r).toMatchObject({
      code: 2,
      stdout: "",
      stderr: 'loragate: unknown command "chekc"; did you mean "check"? (loragate --help)\n',
    });
    expect((await cli("pin-bse")).stderr).toBe(
      'loragate: unknown command "pin-bse"; did you mean "pin-base"? (loragate --help)\n',
    );
    const unknown = await cli("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split("\n")).toEqual([
      'loragate: unknown command "frobnicate"; the commands are init, pin-base, app-manifest, check, scorecard, proposal, eval, import, site, demo (loragate --help)',
      "",
    ]);
  });

  it("the tests write in a temp folder of this run's own, removed when it ends (vitest's global setup)", () => {
    expect(tmpdir()).toContain(RUN_TEMP_PREFIX);
    expect(dir.startsWith(tmpdir())).toBe(true);
  });

  it("npm run bench with no name lists the benchmarks and runs none", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "benchmarks/run.ts"], {
      cwd: join(import.meta.dirname, ".."),
      encoding: "utf8",
      timeout: scaled(60_000),
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("npm run bench -- validate");
    expect(r.stdout).toContain("npm run bench -- contamination");
    expect(r.stdout + r.stderr).not.toMatch(/tsc|generating|MB\/s/);
  });
});
