/**
 * A LocoLLM repository as it is, read as a loragate registry: its index (adapters/registry.yaml),
 * each adapter's eval_dataset.jsonl converted to benchmark items with ids from their content, its
 * training data kept as written (chat form included). Values with no source are never invented: they
 * are left out and listed as TODOs; fields loragate has no place for are kept under `extra:`.
 * Pure apart from reading through a RegistrySource; the CLI writes what this returns.
 */
import { createHash } from "node:crypto";
import { Document, parseDocument } from "yaml";
import { z } from "zod";
import { streamLines } from "../dataset/jsonl.ts";
import { loadDocument } from "../registry/load-document.ts";
import { checkRelativePath, joinPath } from "../registry/paths.ts";
import { LOCOLLM_INDEX } from "../registry/registry-context.ts";
import { NAME_PATTERN, SEMVER_PATTERN } from "../schemas/common.ts";
import { DEFAULT_CONFIG } from "../schemas/config.ts";
import { benchmarkPrompt } from "../evaluation/prompt.ts";
import { keywordRouter, type RoutedAdapter } from "../router/keyword-router.ts";
import { routingFindings } from "../router/routing-findings.ts";
import { routeBenchmarks, type RoutedBenchmark } from "../router/routing-matrix.ts";
import type { RegistrySource } from "../registry/source.ts";
import { printable, withoutControls } from "../text.ts";

/** LocoLLM's adapters/registry.yaml, as its repository keeps it; unknown keys pass through to `extra`. */
const LocoTrainingSchema = z.looseObject({
  base_model: z.string().optional(),
  method: z.string().optional(),
  lora_r: z.number().int().optional(),
  lora_alpha: z.number().optional(),
  lora_dropout: z.number().optional(),
  target_modules: z.array(z.string()).optional(),
  epochs: z.number().int().optional(),
  learning_rate: z.number().optional(),
  batch_size: z.number().int().optional(),
  max_seq_length: z.number().int().optional(),
  dataset: z.string().optional(),
  quantization: z.string().optional(),
});
const LocoAdapterSchema = z.looseObject({
  // Anything: a version that is no version (a map, a list) is one adapter's TODO, not a failed import.
  version: z.unknown().optional(),
  type: z.string().optional(),
  gguf_path: z.string().optional(),
  description: z.string().optional(),
  authors: z.union([z.string(), z.array(z.string())]).optional(),
  tags: z.array(z.string()).optional(),
  eval_dataset: z.string().optional(),
  eval_type: z.string().optional(),
  router_keywords: z.array(z.string()).optional(),
  training: LocoTrainingSchema.optional(),
});
const LocoRegistrySchema = z.looseObject({
  base_model: z.looseObject({
    name: z.string(),
    quantization: z.string().optional(),
    ollama_name: z.string().optional(),
  }),
  adapters: z.union([
    z.record(z.string(), LocoAdapterSchema),
    z.array(z.looseObject({ name: z.string() }).and(LocoAdapterSchema)),
  ]),
});
type LocoAdapter = z.infer<typeof LocoAdapterSchema>;

/** LocoLLM's eval types and how loragate scores the same way. */
const EVAL_TYPES: Record<string, { type: string; config?: Record<string, unknown> }> = {
  numeric: { type: "numeric", config: { extraction: "locollm", tolerance: 0 } },
  code: { type: "code" },
  analysis: { type: "keywords" },
};

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
    "evaluation.type numeric (extraction: locollm, tolerance: 0) / code / keywords",
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

export interface ImportOptions {
  /** The maintainer's copy of the base GGUF: its file name and sha256 become the inference pin. */
  baseGguf?: { file: string; sha256: string };
  /** The training base's hub revision, when the maintainer knows it. */
  baseRevision?: string;
}

export interface ImportResult {
  /** Generated files, registry-relative. */
  files: Map<string, string>;
  /** Files copied unchanged: from (LocoLLM-relative) → to (registry-relative). */
  copies: { from: string; to: string }[];
  /** What the maintainer must fill in, where. */
  todos: string[];
  /** What `loragate check` will then report about the import, and why (file, severity, rule: reason). */
  checkSays: string[];
  /** What was found and how it was carried over or why not. */
  notes: string[];
  /** The report, as markdown (IMPORT_REPORT.md). */
  report: string;
}

const MAX_EVAL_BYTES = 64 << 20;
const STARTING_VERSION = "0.1.0";

export async function importLocoLLM(
  source: RegistrySource,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const entry = await source.stat(LOCOLLM_INDEX);
  if (entry?.kind !== "file" || entry.size > 1 << 20)
    throw new ImportError(
      `${LOCOLLM_INDEX} ${entry ? "is not a regular file under 1 MiB" : "not found"}: is this a LocoLLM repository?`,
    );
  const indexBytes = await source.read(LOCOLLM_INDEX);
  const loaded = loadDocument(LOCOLLM_INDEX, indexBytes, LocoRegistrySchema);
  if (!loaded.ok)
    throw new ImportError(
      `${LOCOLLM_INDEX} does not read as LocoLLM's index:\n${loaded.findings.map((f) => `  ${f.file}:${f.line} ${f.message}`).join("\n")}`,
    );
  const loco = loaded.value;
  const written = versionsAsWritten(Buffer.from(indexBytes).toString("utf8"));
  const adapters: [string, LocoAdapter][] = (
    Array.isArray(loco.adapters)
      ? loco.adapters.map(({ name, ...rest }): [string, LocoAdapter] => [name, rest as LocoAdapter])
      : Object.entries(loco.adapters)
  ).map(([name, adapter]) =>
    // YAML reads `0.10` as the number 0.1: the version is taken as it was written
    typeof adapter.version === "number"
      ? [name, { ...adapter, version: written.get(name) ?? adapter.version }]
      : [name, adapter],
  );
  const result: ImportResult = {
    files: new Map(),
    copies: [],
    todos: [],
    checkSays: [],
    notes: [],
    report: "",
  };
  const license = await licenseOf(source);
  const hubIds = new Set(adapters.map(([, a]) => a.training?.base_model).filter((h) => h !== undefined));

  const base: Record<string, unknown> = { id: loco.base_model.name };
  const hubId = [...hubIds][0];
  if (hubIds.size > 1)
    result.notes.push(
      `adapters name different training bases (${[...hubIds].join(", ")}): base.training.hub_id is ${hubId}; loragate pins one base`,
    );
  base.training = {
    ...(hubId ? { hub_id: hubId } : {}),
    ...(options.baseRevision ? { revision: options.baseRevision } : {}),
  };
  base.inference = {
    ...(options.baseGguf ?? {}),
    ...(loco.base_model.quantization ? { quantization: loco.base_model.quantization } : {}),
  };
  const baseExtra = omit(loco.base_model, ["name", "quantization"]);
  if (Object.keys(baseExtra).length > 0) base.extra = baseExtra;
  if (!hubId)
    result.todos.push("registry.yaml base.training.hub_id: no adapter names its training.base_model");
  if (!options.baseRevision)
    result.todos.push(
      "registry.yaml base.training.revision: the hub commit of the training base (LocoLLM pins none; pass --base-revision)",
    );
  result.todos.push(
    "registry.yaml base.training.files: the sha256 of every file of the training base's folder (config, tokenizer, weights), which the runners check before training",
  );
  if (!options.baseGguf)
    result.todos.push(
      "registry.yaml base.inference.file and sha256: the base GGUF the runners evaluate with (pass --base-gguf FILE to hash yours)",
    );
  if (!loco.base_model.quantization) result.todos.push("registry.yaml base.inference.quantization");
  if (!options.baseRevision || !options.baseGguf)
    result.checkSays.push(
      "registry.yaml warning unpinned-base: for each base pin listed as a TODO above; LocoLLM pins none, and nothing is trained or evaluated until they are",
    );
  const registryExtra = omit(loco, ["base_model", "adapters"]);
  // LocoLLM's adapters serve today: they are listed as imported (active, never gated by loragate).
  const serving: Record<string, unknown> = {};
  const routed: ImportedRouting[] = [];
  for (const [locoName, adapter] of adapters) {
    const entry = await importAdapter(source, locoName, adapter, { loco, license, result });
    if (!entry) continue;
    serving[entry.name] = entry.registryEntry;
    routed.push(entry.routing);
  }
  result.checkSays.push(...routingSays(routed));
  result.files.set(
    "registry.yaml",
    yamlText(
      {
        base,
        benchmarks: {},
        adapters: serving,
        ...(Object.keys(registryExtra).length ? { extra: registryExtra } : {}),
      },
      "Imported from a LocoLLM repository by `loragate import locollm`: see IMPORT_REPORT.md for what is still TODO.\nadapters: LocoLLM's adapters as they serve today (status: imported, not gated by loragate); the app\nreplaces each entry when a gated version merges, and that version must beat its in-domain score.",
    ),
  );
  result.report = renderReport(result, adapters.length);
  return result;
}

async function importAdapter(
  source: RegistrySource,
  locoName: string,
  adapter: LocoAdapter,
  context: { loco: z.infer<typeof LocoRegistrySchema>; license?: string; result: ImportResult },
): Promise<{ name: string; registryEntry: Record<string, unknown>; routing: ImportedRouting } | undefined> {
  const { result } = context;
  const name = locoName.toLowerCase().replaceAll("_", "-");
  if (!NAME_PATTERN.test(name)) {
    result.notes.push(
      `adapter "${printable(locoName, 60)}" skipped: its name cannot be a loragate adapter name (${NAME_PATTERN})`,
    );
    return undefined;
  }
  const dir = `adapters/${name}`;
  if (result.files.has(`${dir}/adapter.yaml`)) {
    result.notes.push(
      `adapter "${printable(locoName, 60)}" skipped: another adapter is already ${name} here`,
    );
    return undefined;
  }
  if (name !== locoName)
    result.notes.push(`adapter ${locoName} is ${name} here (loragate names are lower-case with dashes)`);
  const locoDir = `adapters/${locoName}`;
  const todo = (what: string) => result.todos.push(`${dir}/adapter.yaml ${what}`);
  const t = adapter.training ?? {};

  let questions: RoutedBenchmark["items"] = [];
  const evalPath = await firstFile(source, [
    adapter.eval_dataset,
    adapter.eval_dataset && joinPath("adapters", adapter.eval_dataset),
    `${locoDir}/eval_dataset.jsonl`,
  ]);
  if (evalPath) {
    const converted = await convertEvalDataset(source, evalPath, name);
    questions = converted.questions;
    result.files.set(`${dir}/eval/benchmark.jsonl`, converted.text);
    result.notes.push(
      `${evalPath}: ${converted.items} items converted to ${dir}/eval/benchmark.jsonl${converted.skipped.length ? `; left out: ${converted.skipped.join("; ")}` : ""}`,
    );
    if (converted.items > 0)
      result.notes.push(
        `${dir}/eval/benchmark.jsonl: LocoLLM items have no difficulty (optional; the scorecard's per-difficulty table stays empty until they do)`,
      );
    if (converted.items < DEFAULT_CONFIG.bar.min_benchmark_items)
      result.checkSays.push(
        `${dir}/eval/benchmark.jsonl error too-few-benchmark-items: LocoLLM's eval set has ${converted.items} items; loragate's bar asks ${DEFAULT_CONFIG.bar.min_benchmark_items} (LocoLLM's own standard), so a gated version needs more`,
      );
  } else
    result.notes.push(
      `${name}: no eval_dataset found (looked for ${adapter.eval_dataset ?? `${locoDir}/eval_dataset.jsonl`})`,
    );

  const training = await trainingFileOf(source, locoDir, evalPath);
  if (training) {
    result.copies.push({ from: training, to: `${dir}/${training.slice(locoDir.length + 1)}` });
    result.notes.push(`${training}: copied as the training set, in its own form`);
  } else {
    result.notes.push(
      `${name}: no training data in ${locoDir}/ (LocoLLM does not commit it for every adapter)`,
    );
    result.checkSays.push(
      `${dir}/adapter.yaml error missing-file (data.train): no training data was committed in LocoLLM, so nothing can be retrained; the adapter keeps serving as imported until someone adds its data`,
    );
  }
  if ((await source.stat(`${locoDir}/TRAINING_LOG.md`))?.kind === "file")
    result.copies.push({ from: `${locoDir}/TRAINING_LOG.md`, to: `${dir}/TRAINING_LOG.md` });
  else
    result.checkSays.push(
      `${dir}/TRAINING_LOG.md warning missing-file: LocoLLM keeps no training log in the adapter's folder; write one (hardware, time, loss, decisions) when the adapter is next trained, or leave the warning`,
    );
  for (const other of await otherFiles(source, locoDir, [evalPath, training, `${locoDir}/TRAINING_LOG.md`]))
    result.notes.push(
      `${other}: not copied (${other.endsWith(".gguf") ? "a merged GGUF: loragate retrains a LoRA adapter from the data and evaluates it on the base" : "not part of a loragate adapter folder"})`,
    );

  const evaluation = EVAL_TYPES[adapter.eval_type ?? ""];
  if (!evaluation)
    todo(
      `evaluation.type: LocoLLM's eval_type is ${JSON.stringify(adapter.eval_type ?? null)}, which has no loragate counterpart`,
    );
  const authors = typeof adapter.authors === "string" ? [adapter.authors] : adapter.authors;
  if (!authors?.length) todo("authors");
  if (!adapter.description) todo("description");
  if (!context.license)
    todo("license: the SPDX id of the adapter and its data (no LICENSE file at the repository root says it)");
  if (!t.dataset) todo("data.sources: where the training data came from, with licenses");
  const version = versionOf(adapter.version);
  if (version === undefined)
    todo(
      `version: ${STARTING_VERSION} was set by the import (LocoLLM's index gives ${adapter.version === undefined ? "no version" : `version ${printable(JSON.stringify(adapter.version) ?? "", 60)}, not a semantic version,`} for ${printable(locoName, 60)})`,
    );
  result.checkSays.push(
    `${dir}/adapter.yaml warning version-not-greater: adapter.yaml carries the version registry.yaml lists as imported; the pull request that retrains the adapter bumps it`,
  );
  result.todos.push(
    `registry.yaml adapters.${name}.scores.${name}: the imported version's in-domain score, which a gated version must beat (until it is recorded, the bar's upgrade rule fails: measure it on eval/benchmark.jsonl with the merged GGUF as \`loragate eval --base\`)`,
  );

  const mapped = MAPPED_TRAINING_KEYS.filter((key) => t[key] !== undefined);
  const extra: Record<string, unknown> = {
    ...omit(adapter, ["version", "description", "authors", "router_keywords", "training"]),
    ...(adapter.training ? { training: omit(adapter.training, ["base_model", "dataset", ...mapped]) } : {}),
  };
  if (version === undefined && adapter.version !== undefined) extra.version = adapter.version;
  if (Object.keys(extra.training ?? {}).length === 0) delete extra.training; // every key had a place
  const manifest: Record<string, unknown> = {
    name,
    domain: name,
    version: version ?? STARTING_VERSION,
    ...(adapter.description ? { description: adapter.description } : {}),
    ...(authors?.length ? { authors } : {}),
    ...(context.license ? { license: context.license } : {}),
    base: context.loco.base_model.name,
    lora: {
      ...(t.lora_r !== undefined ? { r: t.lora_r } : {}),
      ...(t.lora_alpha !== undefined ? { alpha: t.lora_alpha } : {}),
      ...(t.lora_dropout !== undefined ? { dropout: t.lora_dropout } : {}),
      ...(t.target_modules !== undefined ? { target_modules: t.target_modules } : {}),
    },
    training: Object.fromEntries(
      (["epochs", "learning_rate", "batch_size", "max_seq_length"] as const)
        .filter((key) => t[key] !== undefined)
        .map((key) => [key, t[key]]),
    ),
    data: {
      train: training ? training.slice(locoDir.length + 1) : "training/dataset.jsonl",
      benchmark: "eval/benchmark.jsonl",
      ...(t.dataset ? { sources: [t.dataset] } : {}),
    },
    ...(evaluation ? { evaluation } : {}),
    ...(adapter.router_keywords?.length ? { router_keywords: adapter.router_keywords } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
  result.files.set(
    `${dir}/adapter.yaml`,
    yamlText(manifest, `Imported from LocoLLM's ${LOCOLLM_INDEX} (adapter ${locoName}).`),
  );
  return {
    name,
    routing: {
      adapter: { name, domain: name, keywords: adapter.router_keywords ?? [] },
      benchmark: { label: `adapters/${name}`, domain: name, adapter: name, items: questions },
      // check gives routing findings to adapters that validate: training data and enough items
      validates: training !== undefined && questions.length >= DEFAULT_CONFIG.bar.min_benchmark_items,
    },
    registryEntry: {
      domain: name,
      version: version ?? STARTING_VERSION,
      active: true,
      status: "imported",
      imported: {
        from: "locollm",
        ...(adapter.gguf_path ? { gguf_path: adapter.gguf_path } : {}),
        ...(adapter.training ? { training: adapter.training } : {}),
      },
    },
  };
}

/** LocoLLM training keys that have a place in adapter.yaml (lora_r and lora_alpha under other names). */
const MAPPED_TRAINING_KEYS = [
  "lora_r",
  "lora_alpha",
  "lora_dropout",
  "target_modules",
  "epochs",
  "learning_rate",
  "batch_size",
  "max_seq_length",
] as const;

/**
 * LocoLLM's version as a semantic version (`1` and `1.0` completed with zeros), or undefined: a version
 * that is no string (a map), or not semantic once completed (`1.05`), is never guessed at.
 */
function versionOf(version: unknown): string | undefined {
  if (typeof version !== "string" && typeof version !== "number") return undefined;
  const text = String(version);
  const completed = /^\d+$/.test(text) ? `${text}.0.0` : /^\d+\.\d+$/.test(text) ? `${text}.0` : text;
  return SEMVER_PATTERN.test(completed) && completed.length <= 64 ? completed : undefined;
}

/** Each adapter's version as its index writes it (YAML's failsafe schema reads every scalar as text). */
function versionsAsWritten(text: string): Map<string, string> {
  const index = parseDocument(text, { schema: "failsafe" }).toJS() as { adapters?: unknown } | null;
  const adapters = index?.adapters;
  const entries: [unknown, unknown][] = Array.isArray(adapters)
    ? adapters.map((a) => [(a as { name?: unknown })?.name, (a as { version?: unknown })?.version])
    : adapters && typeof adapters === "object"
      ? Object.entries(adapters).map(([name, a]) => [name, (a as { version?: unknown } | null)?.version])
      : [];
  return new Map(
    entries.filter((e): e is [string, string] => typeof e[0] === "string" && typeof e[1] === "string"),
  );
}

interface ImportedRouting {
  adapter: RoutedAdapter;
  benchmark: RoutedBenchmark;
  validates: boolean;
}

/** The routing findings check will give the imported adapters (the registry's router: LocoLLM's keywords). */
function routingSays(routed: readonly ImportedRouting[]): string[] {
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
async function convertEvalDataset(
  source: RegistrySource,
  path: string,
  name: string,
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

/** The adapter's training data: a .jsonl in its folder whose name says train (else the only other one). */
async function trainingFileOf(
  source: RegistrySource,
  dir: string,
  evalPath?: string,
): Promise<string | undefined> {
  const candidates = (await source.list(dir))
    .filter((e) => e.kind === "file" && e.path.endsWith(".jsonl") && e.path !== evalPath)
    .map((e) => e.path)
    .sort();
  return (
    candidates.find((p) => /train/i.test(p.slice(dir.length))) ??
    (candidates.length === 1 ? candidates[0] : undefined)
  );
}

async function otherFiles(
  source: RegistrySource,
  dir: string,
  used: (string | undefined)[],
): Promise<string[]> {
  return (await source.list(dir))
    .filter((e) => e.kind === "file" && !used.includes(e.path))
    .map((e) => e.path)
    .sort();
}

async function firstFile(source: RegistrySource, paths: (string | undefined)[]): Promise<string | undefined> {
  for (const path of paths) {
    if (!path || checkRelativePath(path)) continue; // a path that climbs out is never read
    if ((await source.stat(path))?.kind === "file") return path;
  }
  return undefined;
}

/** The SPDX id of the repository's LICENSE, when it is one of the common texts. */
async function licenseOf(source: RegistrySource): Promise<string | undefined> {
  for (const file of ["LICENSE", "LICENSE.md", "LICENSE.txt"]) {
    const entry = await source.stat(file);
    if (entry?.kind !== "file" || entry.size > 1 << 20) continue;
    const text = Buffer.from(await source.read(file)).toString("utf8");
    if (/^\s*MIT License/i.test(text)) return "MIT";
    if (/Apache License[\s\S]*Version 2\.0/i.test(text)) return "Apache-2.0";
    if (/GNU GENERAL PUBLIC LICENSE[\s\S]*Version 3/i.test(text)) return "GPL-3.0-only";
  }
  return undefined;
}

function omit(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([k, v]) => !keys.includes(k) && v !== undefined));
}

function yamlText(value: unknown, comment: string): string {
  const doc = new Document(value);
  doc.commentBefore = ` ${comment.replaceAll("\n", "\n ")}`;
  return doc.toString({ lineWidth: 0 });
}

function renderReport(result: ImportResult, adapters: number): string {
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

export class ImportError extends Error {}
