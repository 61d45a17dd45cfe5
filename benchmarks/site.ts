/**
 * `loragate site` on a registry of 1,000 adapters, each evaluated on 20 benchmarks with a 500-step loss
 * curve and three versions of history (generated once into benchmarks/.data), as the whole CLI process:
 * read registry.yaml, 1,000 manifests and 3,000 records, render, write. Goal: under 5 s, and at most 3x
 * the anchor, in the same run: reading the same inputs without rendering (loadRegistryContext and every
 * record parsed). The quick mode does the same on 200 adapters.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { mulberry32 } from "../fixtures/data.ts";
import type { EvaluationRecord } from "../src/core/schemas/evaluation-record.ts";
import { DATA_DIR } from "./datasets.ts";
import type { Figure } from "./figures.ts";

const ROOT = join(import.meta.dirname, "..");
const ADAPTERS = 1000;
const BENCHMARKS = 20;
const VERSIONS = ["0.1.0", "0.2.0", "1.0.0"];

function ensureRegistry(count: number): string {
  const dir = join(DATA_DIR, count === ADAPTERS ? "site-registry" : `site-registry-${count}`);
  if (existsSync(join(dir, "registry.yaml"))) return dir;
  const random = mulberry32(2026);
  const names = Array.from({ length: count }, (_, i) => `adapter-${String(i + 1).padStart(4, "0")}`);
  const domainOf = (i: number) => `domain-${String(i % BENCHMARKS).padStart(2, "0")}`;
  const registry = readFileSync(join(ROOT, "fixtures/registry/registry.yaml"), "utf8").replace(
    /\nadapters:[\s\S]*$/,
    "\n",
  );
  const adapters: Record<string, unknown> = {};
  names.forEach((name, i) => {
    const score = 0.4 + 0.5 * random();
    adapters[name] = {
      domain: domainOf(i),
      version: "1.0.0",
      active: i < BENCHMARKS,
      scores: { [domainOf(i)]: { adapter: score, base: 0.4, p: 0.01 } },
      provenance: { pr: i + 1, head_sha: "a".repeat(40) },
    };
    const manifest = `name: ${name}\ndomain: ${domainOf(i)}\nversion: 1.0.0\ndescription: Generated adapter number ${i + 1} for the site benchmark\nauthors: [Bench Author]\nlicense: MIT\nbase: tiny-llama-fixture-2026\ndata:\n  sources: [generated]\nevaluation: {type: numeric}\n`;
    mkdirSync(join(dir, "adapters", name), { recursive: true });
    writeFileSync(join(dir, "adapters", name, "adapter.yaml"), manifest);
    mkdirSync(join(dir, "evaluations", name), { recursive: true });
    for (const version of VERSIONS) {
      const record: EvaluationRecord = {
        schema_version: 1,
        adapter: name,
        domain: domainOf(i),
        version,
        provenance: {
          pr: i + 1,
          head_sha: "a".repeat(40),
          run: 1000 + i,
          adapter_sha256: "c".repeat(64),
          base_id: "tiny-llama-fixture-2026",
          base_gguf_sha256: "b".repeat(64),
          harness: "0.1.0",
          hardware: "NVIDIA H100",
        },
        benchmarks: Array.from({ length: BENCHMARKS }, (_, b) => {
          const base = 0.3 + 0.4 * random();
          const adapter = Math.min(1, base + 0.2 * random() - 0.05);
          const delta = adapter - base;
          return {
            name: b === 0 ? "own" : domainOf(b),
            kind:
              b === 0
                ? ("own" as const)
                : domainOf(b) === domainOf(i)
                  ? ("domain" as const)
                  : ("ood" as const),
            evaluation_type: "numeric" as const,
            items: 60,
            base,
            adapter,
            delta,
            p: random(),
            ci95: [delta - 0.1, delta + 0.1] as [number, number],
            by_difficulty: {
              easy: { items: 20, base, adapter },
              medium: { items: 20, base, adapter },
              hard: { items: 20, base, adapter },
            },
          };
        }),
        training: {
          wall_seconds: 40,
          loss: Array.from({ length: 500 }, (_, step) => ({
            step,
            loss: Number((2 * Math.exp(-step / 150) + 0.3).toFixed(4)),
          })),
        },
      };
      writeFileSync(join(dir, "evaluations", name, `${version}.json`), JSON.stringify(record));
    }
  });
  writeFileSync(join(dir, "registry.yaml"), `${registry}${stringify({ adapters })}`);
  return dir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeProcess(args: string[]): number {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, args, { cwd: ROOT, stdio: "ignore" });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Median seconds of `runs` site builds and of `runs` anchor reads, alternating, and the pages written. */
function measure(dir: string, runs: number) {
  const out = join(DATA_DIR, "site-out");
  const anchorScript = `
    import { readdirSync, readFileSync } from "node:fs";
    import { join } from "node:path";
    import { loadRegistryContext } from "./dist/core/registry/registry-context.js";
    import { FsRegistrySource } from "./dist/io/fs-source.js";
    import { EvaluationRecordSchema } from "./dist/core/schemas/evaluation-record.js";
    const dir = ${JSON.stringify(dir)};
    await loadRegistryContext(new FsRegistrySource(dir));
    for (const name of readdirSync(join(dir, "evaluations"))) for (const file of readdirSync(join(dir, "evaluations", name)))
      EvaluationRecordSchema.parse(JSON.parse(readFileSync(join(dir, "evaluations", name, file), "utf8")));`;
  const anchor: number[] = [];
  const build: number[] = [];
  for (let i = 0; i < runs; i++) {
    anchor.push(timeProcess(["--input-type=module", "-e", anchorScript]));
    rmSync(out, { recursive: true, force: true });
    build.push(timeProcess(["bin/loragate.js", "site", dir, "--out", out]));
  }
  const pages = readdirSync(join(out, "adapters")).length + 1;
  const ratios = build.map((b, i) => b / anchor[i]!);
  return { build: median(build), anchor: median(anchor), ratio: median(ratios), ratios, pages };
}

export async function benchSite(): Promise<Record<string, unknown>> {
  execFileSync("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: "inherit" });
  const { build, anchor, pages } = measure(ensureRegistry(ADAPTERS), 3);
  const result = {
    adapters: ADAPTERS,
    benchmarks: BENCHMARKS,
    versions: VERSIONS.length,
    pages,
    build_seconds: build,
    anchor_read_seconds: anchor,
    ratio_to_reading: build / anchor,
  };
  console.log(
    `site of ${ADAPTERS} adapters x ${BENCHMARKS} benchmarks (${VERSIONS.length} versions each, ${pages} pages): ${result.build_seconds.toFixed(2)} s for the whole loragate site process (goal < 5 s)`,
  );
  console.log(
    `anchor: reading the same registry and ${ADAPTERS * VERSIONS.length} records alone ${result.anchor_read_seconds.toFixed(2)} s; building the site costs ${result.ratio_to_reading.toFixed(2)}x that (goal <= 3x)`,
  );
  return result;
}

const QUICK_ADAPTERS = 200;

export function quickSite(): Figure[] {
  const { ratio, ratios } = measure(ensureRegistry(QUICK_ADAPTERS), 3);
  return [
    {
      name: "site.build_vs_reading",
      what: `loragate site, ${QUICK_ADAPTERS} adapters x ${BENCHMARKS} benchmarks x ${VERSIONS.length} versions, vs reading the same inputs (median of 3 rounds)`,
      value: ratio,
      rounds: ratios,
      better: "lower",
      goal: 3,
    },
  ];
}
