#!/usr/bin/env node
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { checkRegistry } from "../core/check.ts";
import type { BenchmarkInput } from "../core/contamination/benchmark-index.ts";
import { readBenchmarkItems } from "../core/contamination/check.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import { formatReport, type OutputFormat } from "./format.ts";

const USAGE = `loragate — the merge gate for LoRA adapter registries

Usage:
  loragate check [registry-dir] [--adapter NAME] [--format text|json|github] [--hidden FILE]...
                                      --hidden: a maintainers' benchmark JSONL kept out of the
                                      registry; matched by id and counts only, never its text
  loragate demo                       check the bundled fixture registry
  loragate --help

Exit codes: 0 clean (warnings allowed), 1 findings with errors, 2 usage or I/O error.
`;

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

const defaultIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

/** The registry bundled with loragate, for the demo. */
export function fixtureRegistryPath(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, "fixtures", "registry"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("bundled fixtures/registry not found");
    dir = up;
  }
  return join(dir, "fixtures", "registry");
}

export async function runCli(argv: string[], io: CliIO = defaultIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr(`loragate: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === "help") {
    io.stdout(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const format = values.format as OutputFormat;
  if (!["text", "json", "github"].includes(format)) {
    io.stderr(`loragate: --format must be text, json or github, got "${format}"\n`);
    return 2;
  }
  if (command === "check" || command === "demo") {
    if (rest.length > 1) {
      io.stderr(`loragate: ${command} takes at most one registry folder\n\n${USAGE}`);
      return 2;
    }
    const root = command === "demo" ? fixtureRegistryPath() : (rest[0] ?? ".");
    if (!existsSync(root)) {
      io.stderr(`loragate: registry folder not found: ${root}\n`);
      return 2;
    }
    return runCheck({
      root,
      adapter: values.adapter,
      format,
      io,
      demo: command === "demo",
      hidden: values.hidden ?? [],
    });
  }
  io.stderr(`loragate: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      adapter: { type: "string" },
      format: { type: "string", default: "text" },
      hidden: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function runCheck(p: {
  root: string;
  adapter?: string;
  format: OutputFormat;
  io: CliIO;
  demo: boolean;
  hidden: string[];
}): Promise<number> {
  const progress = p.io.isTTY && p.format === "text" ? progressLine(p.io) : undefined;
  try {
    const report = await checkRegistry({
      source: new FsRegistrySource(p.root),
      adapter: p.adapter,
      onProgress: progress?.update,
      hidden: await loadHiddenBenchmarks(p.hidden),
    });
    progress?.clear();
    p.io.stdout(formatReport(report, p.format));
    if (p.demo) {
      // The fixture registry holds one invalid adapter per rule on purpose: the demo shows them all.
      p.io.stdout(
        "\n(demo: the bundled registry has one valid adapter and one invalid adapter per rule, on purpose)\n",
      );
      return 0;
    }
    return report.registry.ok && report.adapters.every((a) => a.ok) ? 0 : 1;
  } catch (error) {
    progress?.clear();
    p.io.stderr(`loragate: ${(error as Error).message}\n`);
    return 2;
  }
}

/** Hidden benchmarks from local files, labelled hidden:1, hidden:2, ... so no path or text is shown. */
async function loadHiddenBenchmarks(paths: string[]): Promise<BenchmarkInput[]> {
  return Promise.all(
    paths.map(async (path, i) => {
      if (!existsSync(path)) throw new Error(`hidden benchmark not found: ${path}`);
      const items = await readBenchmarkItems(new FsRegistrySource(dirname(path)), basename(path), 1 << 20);
      return { file: `hidden:${i + 1}`, hidden: true, items };
    }),
  );
}

/** A one-line progress display on stderr for long datasets, updated at most every 200 ms. */
function progressLine(io: CliIO) {
  let last = 0;
  let shown = false;
  return {
    update(file: string, bytes: number, total: number) {
      const now = Date.now();
      if (now - last < 200 || total < 8 << 20) return;
      last = now;
      shown = true;
      io.stderr(
        `\r\x1b[K  reading ${file}: ${Math.round(bytes / 2 ** 20)} / ${Math.round(total / 2 ** 20)} MB`,
      );
    },
    clear() {
      if (shown) io.stderr("\r\x1b[K");
    },
  };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  process.exitCode = await runCli(process.argv.slice(2));
}
