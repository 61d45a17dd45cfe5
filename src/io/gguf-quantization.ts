/**
 * What a GGUF file is, as registry.yaml's `base.inference.quantization` names it: llama.cpp's file type
 * (general.file_type, e.g. 15 = MOSTLY_Q4_K_M -> "Q4_K_M", 0 = ALL_F32 -> "F32"), or, in a file that does
 * not say, the one type all its weight matrices share. Read from the header only.
 */
export class GgufReadError extends Error {}

export async function ggufQuantization(path: string): Promise<string> {
  const { readGgufFileInfo, GgufFileType, GgmlType } = await import("node-llama-cpp");
  let info: Awaited<ReturnType<typeof readGgufFileInfo>>;
  try {
    info = await readGgufFileInfo(path, { logWarnings: false });
  } catch (error) {
    throw new GgufReadError(
      `--gguf ${path} is not a GGUF model: unreadable (${(error as Error).message.split("\n")[0]})`,
    );
  }
  const fileType = (info.metadata as { general?: { file_type?: unknown } }).general?.file_type;
  if (typeof fileType === "number" && GgufFileType[fileType] !== undefined)
    return GgufFileType[fileType].replace(/^(ALL|MOSTLY)_/, "");
  const matrixTypes = new Set(
    (info.fullTensorInfo ?? []).filter((t) => t.dimensions.length >= 2).map((t) => GgmlType[t.ggmlType]),
  );
  if (matrixTypes.size === 1) return [...matrixTypes][0]!;
  if (matrixTypes.size === 0)
    throw new GgufReadError(`--gguf ${path} is not a GGUF model: it holds no weight matrices`);
  throw new GgufReadError(
    `--gguf ${path} does not say its quantization (no general.file_type, weights of ${matrixTypes.size} types)`,
  );
}
