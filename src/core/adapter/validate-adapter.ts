import { type DatasetStats, validateDataset } from "../dataset/validate-dataset.ts";
import { type Finding, type FindingDraft, FindingSink, hasErrors, toFinding } from "../findings/findings.ts";
import { loadDocument } from "../registry/load-document.ts";
import { validateDatasetInParallel } from "../dataset/parallel-dataset.ts";
import { parallelReadPath } from "../dataset/workers.ts";
import { checkRelativePath, extensionOf, joinPath } from "../registry/paths.ts";
import type { RegistryContext } from "../registry/registry-context.ts";
import { type AdapterManifest, AdapterManifestSchema } from "../schemas/adapter.ts";
import { NAME_PATTERN } from "../schemas/common.ts";
import type { BenchmarkItem, TrainingExample } from "../schemas/records.ts";
import type { RegistrySource } from "../registry/source.ts";
import { printable } from "../text.ts";
import { locateYamlPath } from "../registry/yaml.ts";
import { checkCounts, checkFolder } from "./folder-rules.ts";
import { checkManifestAgainstRegistry, checkManifestPatterns } from "./manifest-rules.ts";

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
/** Files an adapter's folder should hold beside its data, at its top (a warning while missing). */
export const SUPPORTING_FILES = ["TRAINING_LOG.md"];

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

function finish(name: string, sink: FindingSink, stats: AdapterStats): AdapterReport {
  const findings = sink.finish();
  return { name, ok: !hasErrors(findings), findings, stats };
}
