/**
 * A GGUF (version 3) writer: metadata and tensors in, one file's bytes out. Used to turn a trained
 * PEFT adapter into the LoRA GGUF that llama.cpp and Ollama load, and to generate the tiny models
 * that the tests and the demo evaluate (no model download anywhere).
 *
 * Layout: header, metadata key/values, tensor infos, then tensor data, each tensor starting at a
 * multiple of `general.alignment` (32) relative to the data section.
 */

export const GGUF_ALIGNMENT = 32;

/** A metadata value. Numbers are tagged, since GGUF stores each integer or float type apart. */
export type GgufMetaValue =
  | string
  | boolean
  | { u32: number }
  | { i32: number }
  | { f32: number }
  | { strings: readonly string[] }
  | { f32s: ArrayLike<number> }
  | { i32s: ArrayLike<number> };

export type GgufTensorType = "F32" | "F16" | "Q8_0" | "Q4_1";

export interface GgufTensor {
  name: string;
  /** ggml order: shape[0] is the contiguous (input) dimension. */
  shape: readonly number[];
  type: GgufTensorType;
  data: Float32Array;
}

const VALUE_TYPE = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;
const TENSOR_TYPE: Record<GgufTensorType, number> = { F32: 0, F16: 1, Q4_1: 3, Q8_0: 8 };
/** Values per block of the quantized types. */
const QK = 32;

/** Growable little-endian byte sink. */
class ByteWriter {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  u32(v: number) {
    this.reserve(4);
    this.length = this.buffer.writeUInt32LE(v, this.length);
  }
  i32(v: number) {
    this.reserve(4);
    this.length = this.buffer.writeInt32LE(v, this.length);
  }
  u64(v: number) {
    this.reserve(8);
    this.length = this.buffer.writeBigUInt64LE(BigInt(v), this.length);
  }
  f32(v: number) {
    this.reserve(4);
    this.length = this.buffer.writeFloatLE(v, this.length);
  }
  u16(v: number) {
    this.reserve(2);
    this.length = this.buffer.writeUInt16LE(v, this.length);
  }
  i8(v: number) {
    this.reserve(1);
    this.length = this.buffer.writeInt8(v, this.length);
  }
  string(s: string) {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.bytes(bytes);
  }
  bytes(b: Uint8Array) {
    this.reserve(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }
  pad(alignment: number) {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.reserve(n);
    this.buffer.fill(0, this.length, this.length + n);
    this.length += n;
  }
  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** IEEE half precision bits of a float, rounded to nearest even (as numpy and ggml do). */
export function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // inf, nan
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    const m = (mantissa | 0x800000) >>> (1 - e);
    return sign | ((m + 0x1000 + ((m >>> 13) & 1) - 1) >>> 13);
  }
  const rounded = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  return sign | (rounded + (rest > 0x1000 || (rest === 0x1000 && rounded & 1) ? 1 : 0));
}

function writeValue(w: ByteWriter, value: GgufMetaValue): void {
  if (typeof value === "string") return (w.u32(VALUE_TYPE.string), w.string(value));
  if (typeof value === "boolean") return (w.u32(VALUE_TYPE.bool), w.bytes(Uint8Array.of(value ? 1 : 0)));
  if ("u32" in value) return (w.u32(VALUE_TYPE.u32), w.u32(value.u32));
  if ("i32" in value) return (w.u32(VALUE_TYPE.i32), w.i32(value.i32));
  if ("f32" in value) return (w.u32(VALUE_TYPE.f32), w.f32(value.f32));
  w.u32(VALUE_TYPE.array);
  if ("strings" in value) {
    w.u32(VALUE_TYPE.string);
    w.u64(value.strings.length);
    for (const s of value.strings) w.string(s);
  } else if ("f32s" in value) {
    w.u32(VALUE_TYPE.f32);
    w.u64(value.f32s.length);
    for (let i = 0; i < value.f32s.length; i++) w.f32(value.f32s[i]!);
  } else {
    w.u32(VALUE_TYPE.i32);
    w.u64(value.i32s.length);
    for (let i = 0; i < value.i32s.length; i++) w.i32(value.i32s[i]!);
  }
}

function tensorBytes(tensor: GgufTensor): number {
  const n = tensor.data.length;
  if (tensor.type === "F32") return n * 4;
  if (tensor.type === "F16") return n * 2;
  if (tensor.type === "Q4_1") return (n / QK) * (4 + QK / 2);
  return (n / QK) * (2 + QK);
}

/** Q8_0: blocks of 32 values as one f16 scale (max |x| / 127) and 32 signed bytes. */
function writeQ8(w: ByteWriter, data: Float32Array): void {
  for (let start = 0; start < data.length; start += QK) {
    let max = 0;
    for (let i = start; i < start + QK; i++) max = Math.max(max, Math.abs(data[i]!));
    const scale = max / 127;
    w.u16(toHalf(scale));
    for (let i = start; i < start + QK; i++) w.i8(scale === 0 ? 0 : Math.round(data[i]! / scale));
  }
}

/**
 * Q4_1: blocks of 32 values as an f16 step ((max - min) / 15), an f16 minimum, and 4-bit levels;
 * byte j holds value j in its low nibble and value j + 16 in its high one (ggml's reference).
 */
function writeQ4_1(w: ByteWriter, data: Float32Array): void {
  const levels = new Uint8Array(QK / 2);
  for (let start = 0; start < data.length; start += QK) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = start; i < start + QK; i++) {
      min = Math.min(min, data[i]!);
      max = Math.max(max, data[i]!);
    }
    const step = (max - min) / 15;
    const level = (x: number) => (step === 0 ? 0 : Math.min(15, Math.trunc((x - min) / step + 0.5)));
    for (let j = 0; j < QK / 2; j++)
      levels[j] = level(data[start + j]!) | (level(data[start + j + QK / 2]!) << 4);
    w.u16(toHalf(step));
    w.u16(toHalf(min));
    w.bytes(levels);
  }
}

function checkTensor(tensor: GgufTensor): void {
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length)
    throw new Error(
      `tensor ${tensor.name}: shape [${tensor.shape.join(", ")}] needs ${count} values, has ${tensor.data.length}`,
    );
  if ((tensor.type === "Q8_0" || tensor.type === "Q4_1") && tensor.shape[0]! % QK !== 0)
    throw new Error(`tensor ${tensor.name}: ${tensor.type} rows must be a multiple of ${QK} values`);
}

/** The bytes of a GGUF file with the given metadata (in order) and tensors. */
export function writeGguf(metadata: Record<string, GgufMetaValue>, tensors: readonly GgufTensor[]): Buffer {
  tensors.forEach(checkTensor);
  const w = new ByteWriter();
  w.bytes(Buffer.from("GGUF"));
  w.u32(3);
  w.u64(tensors.length);
  const entries = Object.entries({ ...metadata, "general.alignment": { u32: GGUF_ALIGNMENT } });
  w.u64(entries.length);
  for (const [key, value] of entries) {
    w.string(key);
    writeValue(w, value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    w.string(tensor.name);
    w.u32(tensor.shape.length);
    for (const dim of tensor.shape) w.u64(dim);
    w.u32(TENSOR_TYPE[tensor.type]);
    w.u64(offset);
    offset += Math.ceil(tensorBytes(tensor) / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  }
  w.pad(GGUF_ALIGNMENT);
  for (const tensor of tensors) {
    if (tensor.type === "F32")
      w.bytes(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    else if (tensor.type === "F16") for (const v of tensor.data) w.u16(toHalf(v));
    else if (tensor.type === "Q4_1") writeQ4_1(w, tensor.data);
    else writeQ8(w, tensor.data);
    w.pad(GGUF_ALIGNMENT);
  }
  return w.result();
}
