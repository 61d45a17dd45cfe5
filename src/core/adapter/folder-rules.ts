/** An adapter folder's files (types, links, sizes) and the counts of its data against the bar. */
import type { DatasetStats } from "../dataset/validate-dataset.ts";
import { itemsToDetect, MAX_ITEMS_TO_DETECT } from "../evaluation/statistics.ts";
import type { FindingDraft } from "../findings/findings.ts";
import { ALLOWED_EXTENSIONS, extensionOf, joinPath, PICKLE_EXTENSIONS } from "../registry/paths.ts";
import type { RegistrySource, SourceEntry } from "../registry/source.ts";
import type { AdapterManifest } from "../schemas/adapter.ts";
import type { Config } from "../schemas/config.ts";

type Add = (f: FindingDraft) => void;

/** Every entry of the folder: no symlinks, only data file types, no pickles, sizes in limits. */
export async function checkFolder(
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

/** Unique examples and items against the bar's minimums, and the benchmark's power to see the planned gain. */
export function checkCounts(
  stats: { train?: DatasetStats; benchmark?: DatasetStats },
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
            : `set bar.domain.planned_gain_points and max_p_value to values a benchmark can reach (the defaults are 22 and 0.05)`,
      });
  }
}
