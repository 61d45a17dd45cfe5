import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { peftToGguf, permuteRows } from "../src/gguf/peft-to-gguf.ts";
import { readSafetensors, writeSafetensors } from "../src/gguf/safetensors.ts";
import { TINY_SHAPE, tinyLlamaGguf } from "../src/gguf/tiny-llama.ts";
import { EvaluationHarness } from "../src/eval/harness.ts";
import { peftOutput } from "./support/peft.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-convert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const llamaBase = { architecture: "llama" as const, heads: TINY_SHAPE.heads, kvHeads: TINY_SHAPE.kvHeads };

async function ggufInfo(bytes: Buffer) {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.gguf`);
  writeFileSync(path, bytes);
  return { path, info: await readGgufFileInfo(path, { logWarnings: false }) };
}

describe("safetensors", () => {
  it("reads F32, F16 and BF16 tensors", () => {
    const f32 = writeSafetensors({ x: { shape: [2], data: new Float32Array([1.5, -2]) } });
    expect([...readSafetensors(f32).get("x")!.data]).toEqual([1.5, -2]);
    const header = Buffer.from(
      JSON.stringify({
        h: { dtype: "F16", shape: [2], data_offsets: [0, 4] },
        b: { dtype: "BF16", shape: [1], data_offsets: [4, 6] },
      }),
    );
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const data = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0xc0, 0x3f]); // 1.0, -2.0 (f16), 1.5 (bf16)
    const tensors = readSafetensors(Buffer.concat([length, header, data]));
    expect([...tensors.get("h")!.data]).toEqual([1, -2]);
    expect([...tensors.get("b")!.data]).toEqual([1.5]);
  });

  it("refuses corrupt files with the reason", () => {
    const good = writeSafetensors({ x: { shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(good.subarray(0, 4))).toThrow(/too short/);
    expect(() => readSafetensors(good.subarray(0, good.length - 4))).toThrow(/data offsets/);
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(1n << 40n);
    expect(() => readSafetensors(huge)).toThrow(/header length/);
    const pickle = Buffer.from(good);
    pickle.write('{"x":{"dtype":"I64"', 8);
    expect(() => readSafetensors(pickle)).toThrow(/not JSON|dtype/);
  });
});

describe("PEFT LoRA to GGUF", () => {
  it("permutes q/k rows per head as llama.cpp's converter does ([h][k][j] -> [h][j][k])", () => {
    const rows = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]); // 2 heads of 4 rows, 1 column
    expect([...permuteRows(rows, 8, 1, 2)]).toEqual([0, 2, 1, 3, 10, 12, 11, 13]);
  });

  it("names, shapes and alpha follow llama.cpp; llama permutes B of q and k only; qwen2 permutes nothing", async () => {
    const peft = peftOutput({ rank: 8, alpha: 16 });
    const tensors = readSafetensors(peft.safetensors);
    const { info } = await ggufInfo(peftToGguf({ config: peft.config, tensors, base: llamaBase }));
    const meta = info.metadata as unknown as {
      general: { architecture: string; type: string };
      adapter: object;
    };
    expect(meta.general).toMatchObject({ architecture: "llama", type: "adapter" });
    expect(meta.adapter).toEqual({ type: "lora", lora: { alpha: 16 } });
    const kv = (TINY_SHAPE.embedding / TINY_SHAPE.heads) * TINY_SHAPE.kvHeads;
    const dims = (name: string) => info.tensorInfo!.find((t) => t.name === name)!.dimensions.map(Number);
    expect(dims("blk.1.attn_k.weight.lora_a")).toEqual([TINY_SHAPE.embedding, 8]);
    expect(dims("blk.1.attn_k.weight.lora_b")).toEqual([8, kv]);
    expect(info.tensorInfo).toHaveLength(TINY_SHAPE.layers * 4 * 2);

    // read B of q back from the GGUF bytes: permuted for llama, untouched for qwen2
    const bOf = (bytes: Buffer, parsed: typeof info, name: string, count: number) => {
      const t = parsed.tensorInfo!.find((x) => x.name === name)!;
      return new Float32Array(
        bytes.buffer.slice(bytes.byteOffset + Number(t.fileOffset)).slice(0, count * 4),
      );
    };
    const q = tensors.get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight")!;
    const llamaBytes = peftToGguf({ config: peft.config, tensors, base: llamaBase });
    const qwenBytes = peftToGguf({
      config: peft.config,
      tensors,
      base: { ...llamaBase, architecture: "qwen2" },
    });
    const llamaInfo = (await ggufInfo(llamaBytes)).info;
    const qwenInfo = (await ggufInfo(qwenBytes)).info;
    const name = "blk.0.attn_q.weight.lora_b";
    expect([...bOf(qwenBytes, qwenInfo, name, q.data.length)]).toEqual([...q.data]);
    expect([...bOf(llamaBytes, llamaInfo, name, q.data.length)]).toEqual([
      ...permuteRows(q.data, TINY_SHAPE.embedding, 8, TINY_SHAPE.heads),
    ]);
    const v = tensors.get("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight")!;
    expect([...bOf(llamaBytes, llamaInfo, "blk.0.attn_v.weight.lora_b", v.data.length)]).toEqual([...v.data]);
  });

  it("rsLoRA keeps its scale: alpha is stored as alpha * sqrt(r)", async () => {
    const peft = peftOutput({ rank: 16, alpha: 32, rslora: true });
    const { info } = await ggufInfo(
      peftToGguf({ config: peft.config, tensors: readSafetensors(peft.safetensors), base: llamaBase }),
    );
    expect((info.metadata as unknown as { adapter: { lora: { alpha: number } } }).adapter.lora.alpha).toBe(
      128,
    );
  });

  it("the converted adapter loads in llama.cpp on the base it was trained for and changes its answers", async () => {
    const peft = peftOutput({ rank: 8 });
    const { path } = await ggufInfo(
      peftToGguf({ config: peft.config, tensors: readSafetensors(peft.safetensors), base: llamaBase }),
    );
    const basePath = join(dir, "base.gguf");
    writeFileSync(basePath, tinyLlamaGguf());
    const harness = await EvaluationHarness.open({ basePath });
    try {
      const prompts = ["How many apples are left?"];
      const settings = { maxTokens: 16, seed: 42, parallel: 1 };
      const base = await harness.generate(prompts, settings);
      expect(await harness.generate(prompts, { ...settings, adapterPath: path })).not.toEqual(base);
    } finally {
      await harness.dispose();
    }
  });

  it("refuses what has no llama.cpp form, saying what", () => {
    const peft = peftOutput();
    const tensors = readSafetensors(peft.safetensors);
    const convert =
      (config: object, t = tensors) =>
      () =>
        peftToGguf({ config, tensors: t, base: llamaBase });
    expect(convert({ ...peft.config, use_dora: true })).toThrow(/DoRA/);
    expect(convert({ ...peft.config, peft_type: "IA3" })).toThrow(/only LoRA/);
    const withoutB = new Map(tensors);
    withoutB.delete("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
    expect(convert(peft.config, withoutB)).toThrow(/blk\.0\.attn_q\.weight: lora_B is missing/);
    const lmHead = new Map(tensors);
    lmHead.set("base_model.model.lm_head.lora_A.weight", { shape: [8, 64], data: new Float32Array(512) });
    expect(convert(peft.config, lmHead)).toThrow(
      /lm_head\.lora_A\.weight: not a LoRA tensor of a supported module/,
    );
    const mismatch = new Map(tensors);
    mismatch.set("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", {
      shape: [64, 4],
      data: new Float32Array(256),
    });
    expect(convert(peft.config, mismatch)).toThrow(/lora_A has rank 8, lora_B 4/);
  });
});
