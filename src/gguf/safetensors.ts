/**
 * safetensors, the format PEFT saves adapters in: an 8-byte little-endian header length, a JSON
 * header of {name: {dtype, shape, data_offsets}}, then the raw tensor bytes. No code runs on load
 * (unlike pickles), and every offset is checked against the file before it is read.
 */

export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

class SafetensorsError extends Error {}

const MAX_HEADER_BYTES = 100 << 20;
const ELEMENT_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function toFloat32(bytes: Buffer, dtype: string, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === "F32") for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4);
  else if (dtype === "F16") for (let i = 0; i < count; i++) out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  else {
    // bfloat16 is the top half of a float32
    const view = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < count; i++) {
      view.setUint32(0, bytes.readUInt16LE(i * 2) << 16);
      out[i] = view.getFloat32(0);
    }
  }
  return out;
}

/** Every tensor of a safetensors file, as float32. */
export function readSafetensors(bytes: Buffer): Map<string, FloatTensor> {
  if (bytes.length < 8) throw new SafetensorsError("too short to be a safetensors file");
  const headerBytes = Number(bytes.readBigUInt64LE(0));
  if (headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > bytes.length)
    throw new SafetensorsError(`header length ${headerBytes} does not fit the file (${bytes.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerBytes).toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new SafetensorsError("header is not JSON");
  }
  const dataStart = 8 + headerBytes;
  const tensors = new Map<string, FloatTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (entry ?? {}) as {
      dtype?: string;
      shape?: number[];
      data_offsets?: [number, number];
    };
    const size = dtype ? ELEMENT_BYTES[dtype] : undefined;
    if (!size) throw new SafetensorsError(`${name}: dtype ${String(dtype)} is not F32, F16 or BF16`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new SafetensorsError(`${name}: invalid shape`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (
      !Array.isArray(offsets) ||
      !Number.isInteger(offsets[0]) ||
      offsets[1] - offsets[0] !== count * size ||
      dataStart + offsets[1] > bytes.length
    )
      throw new SafetensorsError(`${name}: data offsets do not match its shape or the file`);
    const data = bytes.subarray(dataStart + offsets[0], dataStart + offsets[1]);
    tensors.set(name, { shape, data: toFloat32(data, dtype!, count) });
  }
  return tensors;
}

/** A safetensors file of float32 tensors (tests and tools build PEFT outputs with it). */
export function writeSafetensors(tensors: Record<string, FloatTensor>): Buffer {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([
    length,
    json,
    ...Object.values(tensors).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  ]);
}
