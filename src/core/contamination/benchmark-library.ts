import type { RegistryContext } from "../registry/registry-context.ts";
import { declaredDataFiles } from "../adapter/declared-data.ts";
import { checkRelativePath, joinPath } from "../registry/paths.ts";
import { DEFAULT_DATA_FILES } from "../schemas/adapter.ts";
import { NAME_PATTERN } from "../schemas/common.ts";
import type { RegistrySource } from "../registry/source.ts";
import type { BenchmarkInput } from "./benchmark-index.ts";
import { readBenchmarkItems } from "./check.ts";

/**
 * Every benchmark an adapter's training data must not touch: its own, every registry benchmark,
 * every other adapter's, and the hidden ones. Read once per check run and shared by all adapters.
 */
export class BenchmarkLibrary {
  private readonly cache = new Map<string, Promise<BenchmarkInput | undefined>>();

  constructor(
    private readonly source: RegistrySource,
    private readonly context: RegistryContext,
    private readonly adapterNames: readonly string[],
    private readonly hidden: readonly BenchmarkInput[] = [],
  ) {}

  async forAdapter(name: string, ownBenchmark: string): Promise<BenchmarkInput[]> {
    const files = new Set<string>([joinPath("adapters", name, ownBenchmark)]);
    for (const pin of Object.values(this.context.registry?.benchmarks ?? {}))
      if (!checkRelativePath(pin.path)) files.add(pin.path); // registry-context reports the others
    for (const other of this.adapterNames) {
      if (other === name || !NAME_PATTERN.test(other)) continue;
      files.add(await this.benchmarkOf(other));
    }
    const ownFile = joinPath("adapters", name, ownBenchmark);
    const loaded = await Promise.all([...files].map((file) => this.load(file)));
    return [
      ...loaded
        .filter((b): b is BenchmarkInput => b !== undefined)
        .map((b) => (b.file === ownFile ? { ...b, own: true } : b)),
      ...this.hidden,
    ];
  }

  /** The benchmark file another adapter declares; the default when that one leaves its folder. */
  private async benchmarkOf(name: string): Promise<string> {
    const { benchmark } = await declaredDataFiles(this.source, name);
    return benchmark ?? joinPath("adapters", name, DEFAULT_DATA_FILES.benchmark);
  }

  /** One benchmark file, read once per check run (the router's view reads the same ones). */
  load(file: string): Promise<BenchmarkInput | undefined> {
    let pending = this.cache.get(file);
    if (!pending) {
      pending = (async () => {
        const entry = await this.source.stat(file);
        if (entry?.kind !== "file" || entry.size > this.context.config.limits.max_file_bytes)
          return undefined;
        const items = await readBenchmarkItems(this.source, file, this.context.config.limits.max_line_bytes);
        return { file, hidden: false, items };
      })();
      this.cache.set(file, pending);
    }
    return pending;
  }
}
