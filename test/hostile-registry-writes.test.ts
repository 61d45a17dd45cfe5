/**
 * What `loragate init` and `pin-base` write, where a registry holds links, odd bytes or odd paths
 * (issue 35, items 6, 9, 10): only inside the registry, every other byte as it was, and never a hang.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tinyLlamaGguf } from "../src/gguf/tiny-llama.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./support/cli.ts";

const tmp = mkdtempSync(join(tmpdir(), "loragate-writes-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(tmp, `case-${++n}`);

/** A registry from `init`, and a base (GGUF and folder) to pin. */
async function registryAndBase(): Promise<{ dir: string; gguf: string; hf: string }> {
  const dir = fresh();
  expect((await cli("init", dir)).code).toBe(0);
  const hf = join(dir, "..", `hf-${n}`);
  mkdirSync(hf);
  writeFileSync(join(hf, "config.json"), '{"model_type": "llama"}');
  const gguf = join(dir, "..", `base-${n}.gguf`);
  writeFileSync(gguf, tinyLlamaGguf()); // pin-base reads the quantization the file records
  return { dir, gguf, hf };
}

describe("init and pin-base write only inside the registry (item 6)", () => {
  it("pin-base refuses a registry.yaml that is a link, and the file it points to stays as it was", async () => {
    const { dir, gguf, hf } = await registryAndBase();
    const outside = join(tmp, `outside-${n}.yaml`);
    writeFileSync(outside, readFileSync(join(dir, "registry.yaml")));
    rmSync(join(dir, "registry.yaml"));
    symlinkSync(outside, join(dir, "registry.yaml"));
    const before = readFileSync(outside, "utf8");
    const r = await cli("pin-base", "--gguf", gguf, "--hf-base", hf, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/registry\.yaml .*registry\.yaml is a symbolic link/);
    expect(readFileSync(outside, "utf8")).toBe(before);
  });

  it("init refuses a .github that is a link to a folder outside, and writes nothing there", async () => {
    const dir = fresh();
    const outside = join(tmp, `outside-${n}`);
    mkdirSync(dir);
    mkdirSync(outside);
    writeFileSync(join(dir, "registry.yaml"), "base: {}\n");
    symlinkSync(outside, join(dir, ".github"));
    const r = await cli("init", dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.github is a symbolic link: loragate init writes only inside the registry/);
    expect(readFileSync(join(dir, "registry.yaml"), "utf8")).toBe("base: {}\n");
    expect(() => readFileSync(join(outside, "loragate.yml"))).toThrow(/ENOENT/);
  });
});

describe("pin-base keeps what it does not pin byte for byte (item 9)", () => {
  it("bytes that are not UTF-8 stay as they were", async () => {
    const { dir, gguf, hf } = await registryAndBase();
    const file = join(dir, "registry.yaml");
    const latin1 = Buffer.from("# Caf\xe9 des mod\xe8les (ISO-8859-1)\n", "latin1");
    writeFileSync(file, Buffer.concat([latin1, readFileSync(file)]));
    expect((await cli("pin-base", "--gguf", gguf, "--hf-base", hf, dir)).code).toBe(0);
    const after = readFileSync(file);
    expect(after.subarray(0, latin1.length)).toEqual(latin1);
    expect(after.toString("latin1")).toContain(`file: base-${n}.gguf`);
  });

  it("a file of CRLF line ends keeps CRLF everywhere, in what was added too", async () => {
    const { dir, gguf, hf } = await registryAndBase();
    const file = join(dir, "registry.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/\n/g, "\r\n"));
    expect((await cli("pin-base", "--gguf", gguf, "--hf-base", hf, dir)).code).toBe(0);
    const after = readFileSync(file, "utf8");
    expect(after).toContain("config.json");
    expect(after.match(/(^|[^\r])\n/)).toBeNull();
  });

  it("a registry.yaml that would pass 1 MiB once pinned is not written: check would refuse it", async () => {
    const { dir, gguf, hf } = await registryAndBase();
    for (let i = 0; i < 3_500; i++)
      writeFileSync(join(hf, `${"s".repeat(230)}-${String(i).padStart(5, "0")}.bin`), "");
    const before = readFileSync(join(dir, "registry.yaml"), "utf8");
    const r = await cli("pin-base", "--gguf", gguf, "--hf-base", hf, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /registry\.yaml: the pinned registry\.yaml would be \d+ bytes, over the 1048576 that check reads/,
    );
    expect(readFileSync(join(dir, "registry.yaml"), "utf8")).toBe(before);
  });
});

describe("init never hangs (item 10)", () => {
  it("a folder to create under /proc: refused at once with what failed", async () => {
    const r = await cli("init", "/proc/loragate-new-registry");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot create the folder \/proc\/loragate-new-registry \(ENOENT\)/);
  }, 10_000);
});
