#!/usr/bin/env node
import { parseArgs } from "node:util";
import type { BenchmarkInput } from "../core/contamination/benchmark-index.ts";
import { formatReport, type OutputFormat } from "../core/format-report.ts";
import { closestName } from "../core/text.ts";
import { runCheckWork } from "./check-in-worker.ts";
import { type CliIO, defaultIO, refuse } from "./cli-io.ts";
import { demoOutProblem, newDemoOut } from "./demo-out.ts";
import { inputFileProblem } from "./input-files.ts";
import { asCliProcess } from "./interrupt.ts";
import { packagePath } from "./package-root.ts";
import { adapterProblem, folderProblem, registryProblem } from "./registry-problems.ts";
import { argumentError, COMMAND_USAGE, EXIT_CODES, SCORECARD_COMMANDS, USAGE } from "./usage.ts";

/** `signal` aborts work that runs in other processes (the demo's trainer) when the CLI is interrupted. */
export async function runCli(argv: string[], io: CliIO = defaultIO, signal?: AbortSignal): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return refuse(io, argumentError(error as Error));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help && command !== undefined && Object.hasOwn(COMMAND_USAGE, command)) {
    io.stdout(`Usage:\n${COMMAND_USAGE[command]}\n\n${EXIT_CODES}`);
    return 0;
  }
  if (values.help || command === undefined || command === "help") {
    io.stdout(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (!Object.hasOwn(COMMAND_USAGE, command)) return unknownCommand(command, io);
  const format = values.format;
  const formats = SCORECARD_COMMANDS.has(command) ? ["text", "markdown"] : ["text", "json", "github"];
  if (!formats.includes(format))
    return refuse(io, `${command} --format must be ${formats.join(" or ")}, got "${format}"`);
  const registryFolderProblem = values.registry && folderProblem(values.registry, "--registry folder");
  if (registryFolderProblem) return refuse(io, registryFolderProblem);
  if (command === "check" || command === "demo") {
    if (rest.length > 1) return refuse(io, `${command} takes at most one registry folder\n\n${USAGE}`);
    const root = command === "demo" ? packagePath("fixtures", "registry") : (rest[0] ?? ".");
    const out = values.out ?? newDemoOut();
    const problem =
      (await registryProblem(root)) ??
      (await adapterProblem(root, values.adapter ?? [])) ??
      (command === "demo" ? demoOutProblem(out) : undefined);
    if (problem) return refuse(io, problem);
    return runCheck({
      root,
      adapter: values.adapter,
      format: command === "demo" ? "text" : (format as OutputFormat),
      io,
      demo: command === "demo" ? { out, format: format as "text" | "markdown" } : undefined,
      hidden: values.hidden ?? [],
      signal,
    });
  }
  if (command === "proposal") {
    if (rest[0] !== "check" || rest.length !== 2)
      return refuse(io, "usage: loragate proposal check FILE.md [--registry DIR]");
    const { runProposalCheck } = await import("./proposal-command.ts");
    return runProposalCheck({ file: rest[1]!, registry: values.registry, io });
  }
  if (command === "eval") {
    if (rest.length > 0 || (values.adapter?.length ?? 0) > 1)
      return refuse(io, `eval takes flags only, and one --adapter\n\n${USAGE}`);
    // Loaded on use: the harness brings node-llama-cpp, which `check` and `--help` do not need.
    const { runEval } = await import("./eval-command.ts");
    return runEval(
      {
        base: values.base,
        adapter: values.adapter?.[0],
        benchmark: values.benchmark,
        registry: values.registry,
        name: values.name,
        out: values.out,
        type: values.type,
        maxTokens: values["max-tokens"],
        parallel: values.parallel,
        re2: values.re2,
        seed: values.seed,
        threads: values.threads,
        cache: values.cache,
      },
      io,
    );
  }
  if (command === "import") {
    if (rest[0] !== "locollm" || rest.length > 2 || !values.out) {
      const needsOut = rest[0] === "locollm" && !values.out;
      return refuse(
        io,
        `${needsOut ? "import needs --out DIR, the new registry's folder; " : ""}usage:\n${COMMAND_USAGE.import}`,
      );
    }
    const { runImport } = await import("./import-command.ts");
    return runImport(
      {
        from: rest[1] ?? ".",
        out: values.out,
        baseGguf: values["base-gguf"],
        baseRevision: values["base-revision"],
      },
      io,
    );
  }
  if (command === "site") {
    if (rest.length > 1 || !values.out) {
      const needsOut = values.out ? "" : "site needs --out DIR, the folder to write the site to; ";
      return refuse(io, `${needsOut}usage:\n${COMMAND_USAGE.site}`);
    }
    const root = rest[0] ?? ".";
    const problem = await registryProblem(root);
    if (problem) return refuse(io, problem);
    const { runSite } = await import("./site-command.ts");
    return runSite({ root, out: values.out }, io);
  }
  if (command === "scorecard") {
    if (rest.length !== 1) return refuse(io, `scorecard takes one results.json\n\n${USAGE}`);
    const { runScorecard } = await import("./scorecard-command.ts");
    return runScorecard({ file: rest[0]!, registry: values.registry, markdown: format === "markdown", io });
  }
  if (command === "init") {
    if (rest.length > 1) return refuse(io, `usage:\n${COMMAND_USAGE.init}`);
    const { runInit } = await import("./init-command.ts");
    return runInit({ dir: rest[0] ?? "." }, io);
  }
  if (command === "app-manifest") {
    const missing = [
      values.name ? "" : "--name NAME",
      values["webhook-url"] ? "" : "--webhook-url URL",
    ].filter(Boolean);
    if (rest.length > 0 || missing.length > 0)
      return refuse(
        io,
        `${missing.length ? `app-manifest needs ${missing.join(" and ")}; ` : ""}usage:\n${COMMAND_USAGE["app-manifest"]}`,
      );
    const { runAppManifest } = await import("./app-manifest-command.ts");
    return runAppManifest(
      {
        name: values.name!,
        webhookUrl: values["webhook-url"]!,
        org: values.org,
        out: values.out ?? "register-app.html",
      },
      io,
    );
  }
  if (command === "pin-base") {
    const missing = [values.gguf ? "" : "--gguf FILE", values["hf-base"] ? "" : "--hf-base FOLDER"].filter(
      Boolean,
    );
    if (rest.length > 1 || missing.length > 0) {
      const needs = missing.length ? `pin-base needs ${missing.join(" and ")}; ` : "";
      return refuse(io, `${needs}usage:\n${COMMAND_USAGE["pin-base"]}`);
    }
    const root = rest[0] ?? ".";
    const problem = await registryProblem(root);
    if (problem) return refuse(io, problem);
    const { runPinBase } = await import("./pin-base-command.ts");
    return runPinBase(
      { registry: root, gguf: values.gguf!, hfBase: values["hf-base"]!, revision: values.revision },
      io,
    );
  }
  return unknownCommand(command, io);
}

/** One line: the closest command, or the list of them (the 40-line help buries the point). */
function unknownCommand(command: string, io: CliIO): number {
  const commands = Object.keys(COMMAND_USAGE);
  const guess = closestName(command, commands);
  io.stderr(
    `loragate: unknown command "${command}"; ${guess ? `did you mean "${guess}"?` : `the commands are ${commands.join(", ")}`} (loragate --help)\n`,
  );
  return 2;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      adapter: { type: "string", multiple: true },
      format: { type: "string", default: "text" },
      hidden: { type: "string", multiple: true },
      registry: { type: "string" },
      base: { type: "string" },
      benchmark: { type: "string" },
      name: { type: "string" },
      out: { type: "string" },
      type: { type: "string", default: "exact_match" },
      "max-tokens": { type: "string" },
      parallel: { type: "string" },
      re2: { type: "boolean", default: false },
      seed: { type: "string" },
      threads: { type: "string" },
      cache: { type: "string" },
      "base-gguf": { type: "string" },
      "base-revision": { type: "string" },
      gguf: { type: "string" },
      "hf-base": { type: "string" },
      "webhook-url": { type: "string" },
      org: { type: "string" },
      revision: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function runCheck(p: {
  root: string;
  adapter?: string[];
  format: OutputFormat;
  io: CliIO;
  /** The demo's outputs: where, and the scorecard's format. */
  demo?: { out: string; format: "text" | "markdown" };
  hidden: string[];
  signal?: AbortSignal;
}): Promise<number> {
  const progress = p.io.isTTY && p.format === "text" ? progressLine(p.io) : undefined;
  if (p.demo)
    // The fixture registry holds one invalid adapter per rule on purpose: the demo shows them all.
    p.io.stdout(
      "(demo: the bundled registry has one valid adapter, math-gsm8k, and one invalid adapter per rule: the ✗ lines below fail on purpose; loragate check on that registry prints every finding)\n\n",
    );
  try {
    const report = await runCheckWork({
      root: p.root,
      adapter: p.adapter,
      onProgress: progress?.update,
      hidden: await loadHiddenBenchmarks(p.hidden),
      ownProcess: p.signal !== undefined,
    });
    progress?.clear();
    p.io.stdout(
      p.demo ? (await import("./demo-check.ts")).demoCheckText(report) : formatReport(report, p.format),
    );
    if (p.demo) {
      const { runDemoEvaluation } = await import("./demo-evaluation.ts");
      return (await runDemoEvaluation(p.root, p.io, { signal: p.signal, ...p.demo })) ? 0 : 1;
    }
    return report.registry.ok && report.adapters.every((a) => a.ok) ? 0 : 1;
  } catch (error) {
    progress?.clear();
    return refuse(p.io, (error as Error).message);
  }
}

/** Hidden benchmarks from local files, labelled hidden:1, hidden:2, ... so no path or text is shown. */
async function loadHiddenBenchmarks(paths: string[]): Promise<BenchmarkInput[]> {
  if (paths.length === 0) return [];
  const { readBenchmarkFile } = await import("../io/benchmark-file.ts");
  return Promise.all(
    paths.map(async (path, i) => {
      const problem = inputFileProblem(path, "hidden benchmark", Number.MAX_SAFE_INTEGER);
      if (problem) throw new Error(problem);
      const file = `hidden:${i + 1}`;
      return { file, hidden: true, items: await readBenchmarkFile(path, file) };
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
  process.exitCode = await runCli(process.argv.slice(2), defaultIO, asCliProcess());
}
