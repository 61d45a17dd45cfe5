import { existsSync, statSync } from "node:fs";
import { readGgufFileInfo } from "node-llama-cpp";

/** A problem with an evaluation input, worded for the person who supplied it. */
export class EvaluationInputError extends Error {}

export interface GgufSummary {
  architecture: string;
  type: string;
}

/**
 * The header of a GGUF file, read before llama.cpp sees it, so that a missing, non-GGUF or
 * truncated file is named as such rather than failing deep in native code.
 */
export async function readGgufSummary(path: string, role: string): Promise<GgufSummary> {
  if (!existsSync(path)) throw new EvaluationInputError(`${role} not found: ${path}`);
  const size = statSync(path).size;
  let info: Awaited<ReturnType<typeof readGgufFileInfo>>;
  try {
    info = await readGgufFileInfo(path, { logWarnings: false });
  } catch (error) {
    throw new EvaluationInputError(
      `${role} ${path} is not a readable GGUF file (${(error as Error).message.split("\n")[0]})`,
    );
  }
  const general = (info.metadata as { general?: { architecture?: string; type?: string } }).general ?? {};
  // The last tensor must start inside the file; llama.cpp checks the rest, and its log says so.
  const lastTensorStart = Math.max(0, ...(info.fullTensorInfo ?? []).map((t) => Number(t.fileOffset)));
  if (lastTensorStart > 0 && size <= lastTensorStart)
    throw new EvaluationInputError(
      `${role} ${path} is truncated: ${size} bytes, its last tensor starts at byte ${lastTensorStart}`,
    );
  const summary: GgufSummary = {
    architecture: String(general.architecture ?? "unknown"),
    type: String(general.type ?? "model"),
  };
  return summary;
}
