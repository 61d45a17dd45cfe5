import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { TINY_SHAPE, tinyLlamaGguf, tinyLoraGguf } from "../src/gguf/tiny-llama.ts";
import { GGUF_ALIGNMENT, toHalf, writeGguf } from "../src/gguf/write-gguf.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-gguf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function parse(bytes: Buffer) {
  const path = join(dir, `f${Math.random().toString(36).slice(2)}.gguf`);
  writeFileSync(path, bytes);
  return readGgufFileInfo(path, { logWarnings: false });
}

describe("GGUF writer", () => {
  it("rounds to half precision as IEEE does", () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0.1)).toBe(0x2e66);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(5.96e-8)).toBe(0x0001); // smallest subnormal
    expect(toHalf(0)).toBe(0);
  });

  it("writes metadata and tensors that node-llama-cpp's own parser reads back, offsets aligned", async () => {
    const info = await parse(
      writeGguf(
        { "general.architecture": "llama", "x.count": { u32: 7 }, "x.names": { strings: ["a", "b"] } },
        [
          { name: "a", shape: [3], type: "F32", data: new Float32Array([1, 2, 3]) },
          { name: "b", shape: [32, 2], type: "Q8_0", data: new Float32Array(64).fill(0.5) },
          { name: "c", shape: [2, 2], type: "F16", data: new Float32Array(4) },
        ],
      ),
    );
    const meta = info.metadata as unknown as {
      general: { architecture: string; alignment: number };
      x: object;
    };
    expect(meta.general.architecture).toBe("llama");
    expect(meta.general.alignment).toBe(GGUF_ALIGNMENT);
    expect(meta.x).toEqual({ count: 7, names: ["a", "b"] });
    const tensors = info.tensorInfo!;
    expect(tensors.map((t) => [t.name, t.dimensions.map(Number), Number(t.offset)])).toEqual([
      ["a", [3], 0],
      ["b", [32, 2], 32],
      ["c", [2, 2], 32 + 96],
    ]);
  });

  it("refuses a tensor whose data does not fill its shape, or a Q8_0 row that is not whole blocks", () => {
    expect(() =>
      writeGguf({}, [{ name: "w", shape: [2, 2], type: "F32", data: new Float32Array(3) }]),
    ).toThrow(/shape \[2, 2\] needs 4 values, has 3/);
    expect(() =>
      writeGguf({}, [{ name: "q", shape: [16], type: "Q8_0", data: new Float32Array(16) }]),
    ).toThrow(/multiple of 32/);
  });

  it("writes Q4_1 blocks as ggml reads them: f16 step and minimum, value j and j + 16 in one byte", async () => {
    const values = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) * 0.8 + 0.1);
    const bytes = writeGguf({}, [{ name: "q", shape: [32], type: "Q4_1", data: values }]);
    expect((await parse(bytes)).tensorInfo![0]!.ggmlType).toBe(3); // GGML_TYPE_Q4_1
    const block = bytes.subarray(bytes.length - GGUF_ALIGNMENT); // the only tensor: 20 bytes, padded
    const step = fromHalf(block.readUInt16LE(0));
    const min = fromHalf(block.readUInt16LE(2));
    expect(step).toBeGreaterThan(0);
    for (let j = 0; j < 16; j++) {
      const byte = block[4 + j]!;
      for (const [i, level] of [
        [j, byte & 15],
        [j + 16, byte >> 4],
      ] as const)
        expect(Math.abs(min + level * step - values[i]!)).toBeLessThanOrEqual(step / 2 + 1e-3);
    }
  });

  it("generates a tiny llama and a LoRA adapter with llama.cpp's names and shapes", async () => {
    const model = await parse(tinyLlamaGguf());
    expect(model.tensorInfo!.length).toBe(3 + TINY_SHAPE.layers * 9);
    const lora = await parse(tinyLoraGguf({ rank: 8 }));
    const meta = lora.metadata as unknown as { general: { type: string }; adapter: object };
    expect(meta.general.type).toBe("adapter");
    expect(meta.adapter).toEqual({ type: "lora", lora: { alpha: 32 } });
    const q = (suffix: string) => lora.tensorInfo!.find((t) => t.name === `blk.0.attn_k.weight.${suffix}`)!;
    const kv = (TINY_SHAPE.embedding / TINY_SHAPE.heads) * TINY_SHAPE.kvHeads;
    expect(q("lora_a").dimensions.map(Number)).toEqual([TINY_SHAPE.embedding, 8]);
    expect(q("lora_b").dimensions.map(Number)).toEqual([8, kv]);
  });

  it("is deterministic: the same seed gives the same bytes (the fixture registry pins their sha256)", () => {
    expect(tinyLlamaGguf().equals(tinyLlamaGguf())).toBe(true);
    expect(tinyLlamaGguf({ seed: 1 }).equals(tinyLlamaGguf({ seed: 2 }))).toBe(false);
  });
});

/** A float from IEEE half-precision bits. */
function fromHalf(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const magnitude = exponent === 0 ? fraction * 2 ** -24 : (1 + fraction / 1024) * 2 ** (exponent - 15);
  return bits & 0x8000 ? -magnitude : magnitude;
}
