/**
 * A LocoLLM repository as it is, read as a loragate registry: its index (adapters/registry.yaml),
 * each adapter's eval_dataset.jsonl converted to benchmark items with ids from their content, its
 * training data kept as written (chat form included). Values with no source are never invented: they
 * are left out and listed as TODOs; fields loragate has no place for are kept under `extra:`.
 * Pure apart from reading through a RegistrySource; the CLI writes what this returns.
 */
import { Document, parseDocument } from "yaml";
import { loadDocument } from "../registry/load-document.ts";
import { joinPath } from "../registry/paths.ts";
import { LOCOLLM_INDEX } from "../registry/registry-context.ts";
import { NAME_PATTERN, SEMVER_PATTERN } from "../schemas/common.ts";
import { DEFAULT_CONFIG } from "../schemas/config.ts";
import { type LocoAdapter, type LocoRegistry, LocoRegistrySchema } from "../schemas/locollm.ts";
import type { RoutedBenchmark } from "../router/routing-matrix.ts";
import type { RegistrySource } from "../registry/source.ts";
import { printable } from "../text.ts";
import { convertEvalDataset, EVAL_TYPES } from "./eval-dataset.ts";
import { type ImportedRouting, renderReport, routingSays } from "./import-report.ts";
import { firstFile, licenseOf, otherFiles, trainingFileOf } from "./locollm-files.ts";

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
  context: { loco: LocoRegistry; license?: string; result: ImportResult },
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
    const converted = await convertEvalDataset(source, evalPath, name, adapter.eval_type);
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

function omit(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([k, v]) => !keys.includes(k) && v !== undefined));
}

function yamlText(value: unknown, comment: string): string {
  const doc = new Document(value);
  doc.commentBefore = ` ${comment.replaceAll("\n", "\n ")}`;
  return doc.toString({ lineWidth: 0 });
}

export class ImportError extends Error {}
