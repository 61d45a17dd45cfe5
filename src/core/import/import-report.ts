/** IMPORT_REPORT.md: what the maintainer must still do, what `loragate check` will say, and the field mapping. */
import { LOCOLLM_INDEX } from "../registry/registry-context.ts";
import { keywordRouter, type RoutedAdapter } from "../router/keyword-router.ts";
import { routingFindings } from "../router/routing-findings.ts";
import { routeBenchmarks, type RoutedBenchmark } from "../router/routing-matrix.ts";
import { DEFAULT_CONFIG } from "../schemas/config.ts";
import { withoutControls } from "../text.ts";

/** Every field mapped, for the report (LocoLLM → loragate). */
const FIELD_MAPPING: readonly [string, string][] = [
  ["base_model.name", "registry.yaml base.id; adapter.yaml base"],
  ["base_model.quantization", "base.inference.quantization"],
  ["base_model.ollama_name", "base.extra.ollama_name"],
  ["adapters.<name>", "adapters/<name>/ (name and domain: LocoLLM routes one adapter per name)"],
  ["description, authors, router_keywords", "the same fields of adapter.yaml"],
  ["training.base_model (hub id)", "base.training.hub_id"],
  ["version", "adapter.yaml version; registry.yaml adapters.<name>.version"],
  [
    "adapters.<name> (each one serving today)",
    "registry.yaml adapters.<name>: active, status imported (not gated by loragate) until a gated version replaces it",
  ],
  ["gguf_path, training (the whole block)", "registry.yaml adapters.<name>.imported (provenance)"],
  ["training.lora_r, lora_alpha, lora_dropout, target_modules", "lora.r, alpha, dropout, target_modules"],
  ["training.epochs, learning_rate, batch_size, max_seq_length", "training.epochs, learning_rate, ..."],
  ["training.dataset (free text)", "data.sources"],
  [
    "eval_type numeric / code / analysis",
    "evaluation.type numeric (extraction: locollm, tolerance: 0) / code / contains",
  ],
  [
    "eval_dataset's per-line eval_type",
    "dropped where it repeats the adapter's eval_type, else the item's evaluation_type",
  ],
  [
    "eval_dataset (question, answer | answer_keywords)",
    "eval/benchmark.jsonl (id from content, instruction, expected_output | answer_keywords)",
  ],
  [
    "training data (*.jsonl beside the eval set)",
    "data.train, copied byte for byte (chat forms are read natively)",
  ],
  [
    "type, gguf_path, tags, eval_dataset, eval_type, training.method, training.quantization, other keys",
    "extra (kept, not used)",
  ],
];

export interface ImportedRouting {
  adapter: RoutedAdapter;
  benchmark: RoutedBenchmark;
  validates: boolean;
}

/** The routing findings check will give the imported adapters (the registry's router: LocoLLM's keywords). */
export function routingSays(routed: readonly ImportedRouting[]): string[] {
  const adapters = routed.map((r) => r.adapter);
  if (!adapters.some((a) => a.keywords.length > 0)) return [];
  const rows = routeBenchmarks(
    routed.map((r) => r.benchmark),
    keywordRouter(adapters),
  );
  return routed
    .filter((r) => r.validates)
    .flatMap((r) =>
      routingFindings({
        adapter: r.adapter,
        adapters,
        rows,
        rules: DEFAULT_CONFIG.bar.router,
        at: { file: `adapters/${r.adapter.name}/adapter.yaml`, line: 0 },
      }),
    )
    .map(
      (f) =>
        `${f.file} ${f.severity} ${f.rule}: LocoLLM's router does this today; ${f.message.replace(/: [^:]*$/, "")} (the finding lists the items; ${f.hint})`,
    );
}

export function renderReport(
  result: { todos: string[]; checkSays: string[]; notes: string[] },
  adapters: number,
): string {
  return [
    "# Imported from LocoLLM",
    "",
    `${adapters} adapters read from ${LOCOLLM_INDEX}. Run \`loragate check\` here: the findings left are the data's own.`,
    "",
    "## TODO for a maintainer (no source to take these from; nothing was invented)",
    "",
    // one line each, whatever a name holds: a line feed in it would start a heading of its own
    ...result.todos.map((t) => `- [ ] ${withoutControls(t)}`),
    "",
    "## What `loragate check` will report, and why",
    "",
    ...(result.checkSays.length
      ? result.checkSays.map((c) => `- ${withoutControls(c)}`)
      : ["- nothing about the import itself"]),
    "",
    "## Field mapping",
    "",
    "| LocoLLM | loragate |",
    "| --- | --- |",
    ...FIELD_MAPPING.map(([from, to]) => `| ${from} | ${to} |`),
    "",
    "## What was found",
    "",
    ...result.notes.map((n) => `- ${withoutControls(n)}`),
    "",
  ].join("\n");
}
