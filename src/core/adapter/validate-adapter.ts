import { type DatasetStats, validateDataset } from "../dataset/validate-dataset.ts";
import { itemsToDetect, MAX_ITEMS_TO_DETECT } from "../evaluation/statistics.ts";
import { RE2_HINT, safeRegex } from "../evaluation/scoring.ts";
import { type Finding, type FindingDraft, FindingSink, hasErrors, toFinding } from "../findings/findings.ts";
import { loadDocument } from "../registry/load-document.ts";
import { validateDatasetInParallel } from "../dataset/parallel-dataset.ts";
import { parallelReadPath } from "../dataset/workers.ts";
import {
  ALLOWED_EXTENSIONS,
  checkRelativePath,
  extensionOf,
  joinPath,
  PICKLE_EXTENSIONS,
} from "../registry/paths.ts";
import type { RegistryContext } from "../registry/registry-context.ts";
import { type AdapterManifest, AdapterManifestSchema } from "../schemas/adapter.ts";
import { NAME_PATTERN } from "../schemas/common.ts";
import type { Config } from "../schemas/config.ts";
import type { BenchmarkItem, TrainingExample } from "../schemas/records.ts";
import { compareSemver } from "../registry/semver.ts";
import type { RegistrySource, SourceEntry } from "../registry/source.ts";
import { printable } from "../text.ts";
import { locateYamlPath } from "../registry/yaml.ts";

export interface AdapterStats {
  train?: DatasetStats;
  benchmark?: DatasetStats;
}

export interface AdapterReport {
  name: string;
  ok: boolean;
  findings: Finding[];
  stats: AdapterStats;
  /** The parsed manifest, when it was valid. */
  manifest?: AdapterManifest;
}

export interface ValidateAdapterParams {
  source: RegistrySource;
  /** Folder name under adapters/ (untrusted). */
  name: string;
  context: RegistryContext;
  onProgress?: (file: string, bytes: number, total: number) => void;
  onTrainExample?: (example: TrainingExample, line: number) => void;
  onBenchmarkItem?: (item: BenchmarkItem, line: number) => void;
}

export const MANIFEST_FILE = "adapter.yaml";
const SUPPORTING_FILES = ["TRAINING_LOG.md"];

/**
 * Validates adapters/<name>/ against the registry:
 * 1. the folder (name, symlinks, file types, sizes),
 * 2. adapter.yaml (schema, then cross-file rules against registry.yaml and the config),
 * 3. the training set and the benchmark, streamed,
 * 4. counts against the bar.
 */
export async function validateAdapter(params: ValidateAdapterParams): Promise<AdapterReport> {
  const { source, name, context } = params;
  const { config } = context;
  const dir = `adapters/${name}`;
  const sink = new FindingSink();
  const stats: AdapterStats = {};
  const add = (f: FindingDraft) => sink.add(toFinding(f));

  if (!NAME_PATTERN.test(name)) {
    add({
      file: dir,
      line: 0,
      field: "",
      rule: "adapter-name",
      message: `adapter folder name "${printable(name)}" is not allowed`,
      hint: "rename the folder to lower-case letters, digits and dashes (2-63 characters), e.g. math-gsm8k",
    });
    return finish(name, sink, stats);
  }

  const entries = await checkFolder(source, dir, config, add);
  const manifestEntry = entries.get(`${dir}/${MANIFEST_FILE}`);
  if (!manifestEntry) {
    add({
      file: `${dir}/${MANIFEST_FILE}`,
      line: 0,
      field: "",
      rule: "missing-file",
      message: "adapter.yaml not found",
      hint: "add adapters/<name>/adapter.yaml; see the example in README.md",
    });
    return finish(name, sink, stats);
  }
  if (manifestEntry.kind === "dir")
    add({
      file: `${dir}/${MANIFEST_FILE}`,
      line: 0,
      field: "",
      rule: "file-type",
      message: "adapter.yaml is a folder, not a file",
      hint: "replace the folder with the adapter's manifest file",
    });
  if (manifestEntry.kind !== "file") return finish(name, sink, stats); // links and others: checkFolder said so
  const manifestFile = `${dir}/${MANIFEST_FILE}`;
  const loaded = loadDocument(manifestFile, await source.read(manifestFile), AdapterManifestSchema);
  if (!loaded.ok) {
    for (const f of loaded.findings) sink.add(f);
    return finish(name, sink, stats);
  }
  const manifest = loaded.value;
  const at = (...path: (string | number)[]) => ({ file: manifestFile, ...locateYamlPath(loaded.text, path) });
  checkManifestAgainstRegistry(manifest, name, context, at, add);
  checkManifestPatterns(manifest, at, add);

  for (const file of SUPPORTING_FILES) {
    if (!entries.has(`${dir}/${file}`)) {
      add({
        file: `${dir}/${file}`,
        line: 0,
        field: "",
        rule: "missing-file",
        severity: "warning",
        message: `${file} not found`,
        hint: "describe how the adapter was trained (hardware, time, loss, decisions), as LocoLLM's guide asks",
      });
    }
  }

  const datasets = [
    { kind: "train" as const, field: "train", path: manifest.data.train, onRecord: params.onTrainExample },
    {
      kind: "benchmark" as const,
      field: "benchmark",
      path: manifest.data.benchmark,
      onRecord: params.onBenchmarkItem,
    },
  ];
  for (const d of datasets) {
    const problem = checkRelativePath(d.path);
    if (problem) {
      add({
        ...at("data", d.field),
        field: `data.${d.field}`,
        rule: problem.rule,
        message: problem.message,
        hint: "give a path inside the adapter folder, e.g. training/dataset.jsonl",
      });
      continue;
    }
    const file = joinPath(dir, d.path);
    const entry = entries.get(file);
    if (!entry) {
      add({
        ...at("data", d.field),
        field: `data.${d.field}`,
        rule: "missing-file",
        message: `data.${d.field} names ${d.path}, which does not exist`,
        hint: `add ${file} or fix the path`,
      });
      continue;
    }
    if (entry.kind === "dir") {
      add({
        ...at("data", d.field),
        field: `data.${d.field}`,
        rule: "file-type",
        message: `data.${d.field} names ${d.path}, which is a folder, not a file`,
        hint: `put the JSON Lines file at ${file}`,
      });
      continue;
    }
    if (
      entry.kind !== "file" ||
      extensionOf(file) !== ".jsonl" ||
      entry.size > config.limits.max_file_bytes
    ) {
      if (extensionOf(file) !== ".jsonl")
        add({
          ...at("data", d.field),
          field: `data.${d.field}`,
          rule: "file-type",
          message: `data.${d.field} must be a .jsonl file, got ${d.path}`,
          hint: "convert the data to JSON Lines: one JSON object per line",
        });
      continue; // symlinks and oversized files were reported by checkFolder
    }
    const maxRecords = d.kind === "train" ? config.limits.max_train_examples : undefined;
    const scoring =
      d.kind === "benchmark"
        ? { type: manifest.evaluation.type, pattern: typeof manifest.evaluation.config?.pattern === "string" }
        : undefined;
    // a caller that sees every record (onRecord) gets them in order, from one thread
    const localPath = d.onRecord ? undefined : parallelReadPath(source, file, entry.size, "validation");
    stats[d.kind] = localPath
      ? await validateDatasetInParallel({
          kind: d.kind,
          file,
          path: localPath,
          size: entry.size,
          maxLineBytes: config.limits.max_line_bytes,
          maxRecords,
          sink,
          scoring,
        })
      : await validateDataset({
          kind: d.kind,
          file,
          chunks: source.stream(file),
          maxLineBytes: config.limits.max_line_bytes,
          maxRecords,
          sink,
          scoring,
          onRecord: d.onRecord as never,
          onProgress: params.onProgress ? (bytes) => params.onProgress!(file, bytes, entry.size) : undefined,
        });
  }
  checkCounts(stats, config, dir, manifest, add);
  return { ...finish(name, sink, stats), manifest };
}

type Add = (f: FindingDraft) => void;

function finish(name: string, sink: FindingSink, stats: AdapterStats): AdapterReport {
  const findings = sink.finish();
  return { name, ok: !hasErrors(findings), findings, stats };
}

/** Every entry of the folder: no symlinks, only data file types, no pickles, sizes in limits. */
async function checkFolder(
  source: RegistrySource,
  dir: string,
  config: Config,
  add: Add,
): Promise<Map<string, SourceEntry>> {
  const entries = new Map<string, SourceEntry>();
  for (const entry of await source.list(dir)) {
    entries.set(entry.path, entry);
    const base = { file: entry.path, line: 0, field: "" };
    if (entry.kind === "symlink") {
      add({
        ...base,
        rule: "symlink",
        message: "symbolic links are not allowed in an adapter folder",
        hint: "commit the file itself; a link could point outside the adapter",
      });
    } else if (entry.kind === "other") {
      add({ ...base, rule: "file-type", message: "not a regular file or folder", hint: "remove it" });
    } else if (entry.kind === "file") {
      const ext = extensionOf(entry.path);
      if (PICKLE_EXTENSIONS.includes(ext)) {
        add({
          ...base,
          rule: "pickle-weights",
          message: `${ext} files are pickles, which run code when loaded`,
          hint: "save weights as .safetensors (safetensors.torch.save_file); loragate retrains the adapter anyway",
        });
      } else if (!ALLOWED_EXTENSIONS.includes(ext)) {
        add({
          ...base,
          rule: "file-type",
          message: `file type "${ext || "(none)"}" is not allowed in an adapter folder`,
          hint: `adapters hold data only: ${ALLOWED_EXTENSIONS.join(" ")}`,
        });
      }
      if (entry.size > config.limits.max_file_bytes) {
        add({
          ...base,
          rule: "file-too-large",
          message: `file is ${entry.size} bytes, over the limit of ${config.limits.max_file_bytes}`,
          hint: "trim the dataset, or ask maintainers to raise limits.max_file_bytes",
        });
      }
    }
  }
  return entries;
}

type At = (...path: (string | number)[]) => { file: string; line: number; column?: number };

/** The patterns the adapter's own benchmark is scored with must run on RE2: said here, not at evaluation. */
function checkManifestPatterns(manifest: AdapterManifest, at: At, add: Add): void {
  const config = manifest.evaluation.config ?? {};
  const patterns = {
    extract: config.extract,
    pattern: manifest.evaluation.type === "regex" ? config.pattern : undefined,
  };
  for (const [key, pattern] of Object.entries(patterns)) {
    if (typeof pattern !== "string") continue;
    try {
      safeRegex(pattern, "");
    } catch (error) {
      add({
        ...at("evaluation", "config", key),
        field: `evaluation.config.${key}`,
        rule: "invalid-regex",
        message: (error as Error).message,
        hint: RE2_HINT,
      });
    }
  }
}

function checkManifestAgainstRegistry(
  manifest: AdapterManifest,
  folder: string,
  context: RegistryContext,
  at: At,
  add: Add,
): void {
  const { registry, config } = context;
  if (manifest.name !== folder) {
    add({
      ...at("name"),
      field: "name",
      rule: "name-mismatch",
      message: `name is "${manifest.name}" but the folder is adapters/${folder}`,
      hint: `set name: ${folder}, or rename the folder`,
    });
  }
  const limits = config.limits.hyperparameters;
  const ranged: [string, string, number, { min: number; max: number }][] = [
    ["lora", "r", manifest.lora.r, limits.r],
    ["lora", "alpha", manifest.lora.alpha, limits.alpha],
    ["lora", "dropout", manifest.lora.dropout, limits.dropout],
    ["training", "epochs", manifest.training.epochs, limits.epochs],
    ["training", "learning_rate", manifest.training.learning_rate, limits.learning_rate],
    ["training", "batch_size", manifest.training.batch_size, limits.batch_size],
    ["training", "max_seq_length", manifest.training.max_seq_length, limits.max_seq_length],
  ];
  for (const [group, key, value, range] of ranged) {
    if (!(value >= range.min && value <= range.max)) {
      add({
        ...at(group, key),
        field: `${group}.${key}`,
        rule: "hyperparameter-range",
        message: `${group}.${key} is ${value}, outside the registry's range ${range.min}..${range.max}`,
        hint: `choose a value in ${range.min}..${range.max} (LocoLLM: r 16, alpha 32, lr 2e-4, 3 epochs, batch 4, 1024 tokens)`,
      });
    }
  }
  manifest.lora.target_modules.forEach((module, i) => {
    if (!limits.target_modules.includes(module)) {
      add({
        ...at("lora", "target_modules", i),
        field: `lora.target_modules.${i}`,
        rule: "target-module",
        message: `target module "${printable(module)}" is not allowed`,
        hint: `use modules among ${limits.target_modules.join(", ")}`,
      });
    }
  });
  if (!registry) return;
  if (manifest.base !== registry.base.id) {
    add({
      ...at("base"),
      field: "base",
      rule: "base-mismatch",
      message: `base is "${printable(manifest.base)}", but the registry pins "${registry.base.id}"`,
      hint: `set base: ${registry.base.id}; adapters on another base are not comparable`,
    });
  }
  const current = registry.adapters[manifest.name];
  const order = current ? compareSemver(manifest.version, current.version) : 1;
  // An imported adapter's folder carries the version it serves at: said, not refused, until a PR retrains it.
  if (current?.status === "imported" && order === 0) {
    add({
      ...at("version"),
      field: "version",
      rule: "version-not-greater",
      severity: "warning",
      message: `version ${manifest.version} is the imported version the registry serves; a gated version must be greater`,
      hint: "bump the version in the pull request that retrains this adapter",
    });
  } else if (order <= 0) {
    add({
      ...at("version"),
      field: "version",
      rule: "version-not-greater",
      message: `version ${manifest.version} is not greater than the registry's ${current!.version}`,
      hint: "bump the version (e.g. the minor number for retrained data)",
    });
  }
  if (current && current.domain !== manifest.domain) {
    add({
      ...at("domain"),
      field: "domain",
      rule: "domain-changed",
      message: `domain is "${manifest.domain}" but the registry lists ${manifest.name} under "${current.domain}"`,
      hint: "keep the domain, or propose a new adapter for the new domain",
    });
  }
  manifest.ood_benchmarks.forEach((domain, i) => {
    if (!(domain in registry.benchmarks)) {
      add({
        ...at("ood_benchmarks", i),
        field: `ood_benchmarks.${i}`,
        rule: "unknown-benchmark",
        message: `ood_benchmarks names "${printable(domain)}", which is not a registry benchmark`,
        hint: `use registry benchmarks: ${Object.keys(registry.benchmarks).join(", ") || "(none)"}`,
      });
    } else if (domain === manifest.domain) {
      add({
        ...at("ood_benchmarks", i),
        field: `ood_benchmarks.${i}`,
        rule: "ood-is-own-domain",
        severity: "warning",
        message: `"${domain}" is the adapter's own domain, not an out-of-domain benchmark`,
        hint: "remove it; the own-domain benchmark is always evaluated",
      });
    }
  });
}

function checkCounts(
  stats: AdapterStats,
  config: Config,
  dir: string,
  manifest: AdapterManifest,
  add: Add,
): void {
  const { min_train_examples: minTrain, min_benchmark_items: minItems } = config.bar;
  if (stats.train && !stats.train.lfsPointer && stats.train.unique < minTrain) {
    add({
      file: joinPath(dir, manifest.data.train),
      line: 0,
      field: "",
      rule: "too-few-examples",
      message: `${stats.train.unique} unique valid training examples, the bar is ${minTrain}`,
      hint: `add at least ${minTrain - stats.train.unique} more examples (fix or replace the invalid and duplicate ones first)`,
    });
  }
  if (stats.benchmark && !stats.benchmark.lfsPointer && stats.benchmark.unique < minItems) {
    add({
      file: joinPath(dir, manifest.data.benchmark),
      line: 0,
      field: "",
      rule: "too-few-benchmark-items",
      message: `${stats.benchmark.unique} unique valid benchmark items, the bar is ${minItems}`,
      hint: `add at least ${minItems - stats.benchmark.unique} more held-out items`,
    });
  } else if (stats.benchmark && !stats.benchmark.lfsPointer) {
    const { planned_gain_points: gain, max_p_value: alpha } = config.bar.domain;
    const needed = itemsToDetect({ gain: gain / 100, alpha });
    if (stats.benchmark.unique < needed)
      add({
        file: joinPath(dir, manifest.data.benchmark),
        line: 0,
        field: "",
        rule: "underpowered-benchmark",
        severity: "warning",
        message: `${stats.benchmark.unique} items cannot reliably detect a gain of ${gain} points (p < ${alpha}, 80% power): that takes ${needed < MAX_ITEMS_TO_DETECT ? `about ${needed}` : "more items than any benchmark holds"}`,
        hint:
          needed < MAX_ITEMS_TO_DETECT
            ? `add ${needed - stats.benchmark.unique} held-out items, or expect a real gain of ${gain} points to miss the bar now and then`
            : `set bar.domain.planned_gain_points and max_p_value to values a benchmark can reach (the defaults are 20 and 0.05)`,
      });
  }
}
