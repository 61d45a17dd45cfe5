/** LocoLLM's eval_dataset.jsonl read as loragate benchmark items. */
import { createHash } from "node:crypto";
import { streamLines } from "../dataset/jsonl.ts";
import { benchmarkPrompt } from "../evaluation/prompt.ts";
import type { RegistrySource } from "../registry/source.ts";
import type { RoutedBenchmark } from "../router/routing-matrix.ts";

const MAX_EVAL_BYTES = 64 << 20;

/** LocoLLM's eval types and how loragate scores the same way. */
export const EVAL_TYPES: Record<string, { type: string; config?: Record<string, unknown> }> = {
  numeric: { type: "numeric", config: { extraction: "locollm", tolerance: 0 } },
  code: { type: "code" },
  // LocoLLM's eval.py: the answer string appears in the response
  analysis: { type: "contains" },
};

/** Item fields the import derives from a LocoLLM line; the line's own are left out. */
const DERIVED_KEYS = ["id", "instruction", "input", "expected_output"];
/** Deeper JSON is no benchmark item, and would overflow the stack of what reads it recursively. */
const MAX_NESTING = 64;

/** How deep a JSON text's arrays and objects nest, read without recursion (strings skipped). */
function jsonNesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** eval_dataset.jsonl lines as benchmark items: the id is the adapter name and a hash of the line's content. */
export async function convertEvalDataset(
  source: RegistrySource,
  path: string,
  name: string,
  adapterEvalType: string | undefined,
): Promise<{ text: string; items: number; skipped: string[]; questions: RoutedBenchmark["items"] }> {
  const out: string[] = [];
  const questions: { id: string; query: string }[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  const entry = await source.stat(path);
  if ((entry?.size ?? 0) > MAX_EVAL_BYTES)
    return { text: "", items: 0, skipped: [`the file is over ${MAX_EVAL_BYTES >> 20} MiB`], questions };
  await streamLines(source.stream(path), 1 << 20, true, {
    line: (text, line) => {
      if (!text.trim()) return;
      if (jsonNesting(text) > MAX_NESTING)
        return void skipped.push(`line ${line} nests deeper than ${MAX_NESTING} levels`);
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        return void skipped.push(`line ${line} is not JSON`);
      }
      if (
        record === null ||
        typeof record !== "object" ||
        Array.isArray(record) ||
        typeof (record as { question?: unknown }).question !== "string"
      )
        return void skipped.push(`line ${line} has no "question" string`);
      const { question, answer, answer_keywords, ...rest } = record as Record<string, unknown>;
      const ownType = typeof rest.eval_type === "string" ? EVAL_TYPES[rest.eval_type] : undefined;
      if (ownType) {
        if (rest.eval_type !== adapterEvalType)
          Object.assign(rest, {
            evaluation_type: ownType.type,
            ...(ownType.config ? { evaluation_config: ownType.config } : {}),
          });
        delete rest.eval_type;
      }
      // The import derives these from question and answer; a line's own would override them.
      const own = DERIVED_KEYS.filter((key) => Object.hasOwn(rest, key));
      for (const key of own) delete rest[key];
      if (own.length > 0)
        skipped.push(`line ${line}: its own ${own.join(", ")} left out (derived from question and answer)`);
      const id = `${name}-${createHash("sha256")
        .update(JSON.stringify([question, answer ?? null, answer_keywords ?? null]))
        .digest("hex")
        .slice(0, 12)}`;
      if (seen.has(id)) return void skipped.push(`line ${line} repeats an earlier item`);
      seen.add(id);
      questions.push({ id, query: benchmarkPrompt({ instruction: question as string, input: "" }, false) });
      out.push(
        JSON.stringify({
          id,
          instruction: question,
          input: "",
          ...(answer !== undefined && answer !== null
            ? { expected_output: typeof answer === "string" ? answer : JSON.stringify(answer) }
            : {}),
          ...(answer_keywords !== undefined ? { answer_keywords } : {}),
          ...rest,
        }),
      );
    },
    problem: (p) =>
      skipped.push(p.kind === "bom" ? "a byte order mark, dropped" : `line ${p.line}: ${p.kind}`),
  });
  return { text: out.length ? `${out.join("\n")}\n` : "", items: out.length, skipped, questions };
}
