#!/usr/bin/env node
import { existsSync, readFileSync, statSync } from "node:fs";
import { closestName, counted } from "../core/text.ts";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { listAdapterNames } from "../core/check.ts";
import {
  adapterCandidates,
  checkProposal,
  describeOverlap,
  OVERLAP_MEANING,
  proposalOverlap,
} from "../core/review/proposal.ts";
import type { BenchmarkInput } from "../core/contamination/benchmark-index.ts";
import { evaluateBar } from "../core/evaluation/bar.ts";
import { expectedResultsFor } from "../core/evaluation/benchmarks-for.ts";
import { MAX_RESULTS_BYTES, parseResults } from "../core/evaluation/load-results.ts";
import { renderScorecard } from "../core/evaluation/scorecard.ts";
import { renderScorecardText } from "../core/evaluation/scorecard-text.ts";
import {
  CONFIG_FILE,
  IMPORT_COMMAND,
  LOCOLLM_INDEX,
  loadRegistryContext,
  looksLikeLocoLLM,
  REGISTRY_FILE,
} from "../core/registry/registry-context.ts";
import { DEFAULT_CONFIG } from "../core/schemas/config.ts";
import { currentVersion } from "../core/registry/current-version.ts";
import { routingSection } from "../core/router/routing-section.ts";
import { scorecardRouting } from "../core/router/scorecard-routing.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import { readBenchmarkFile } from "../io/benchmark-file.ts";
import { EVAL_USAGE } from "./eval-usage.ts";
import { formatReport, type OutputFormat } from "../core/findings/format-report.ts";
import { asCliProcess } from "./interrupt.ts";
import { runCheckWork } from "./check-in-worker.ts";
import { inputFileProblem } from "./input-files.ts";
import { packagePath } from "./package-root.ts";
import { DEMO_OUT, demoOutProblem } from "./demo-out.ts";
import { demoCheckText } from "./demo-check.ts";

/** Each command's usage, for `loragate --help` (all) and `loragate COMMAND --help` (one). */
const COMMAND_USAGE: Record<string, string> = {
  init: `  loragate init [DIR]                 a new registry: registry.yaml, .github/loragate.yml, the two
                                      workflows, the proposal form, CONTRIBUTING.md (never overwrites)`,
  "pin-base": `  loragate pin-base --gguf FILE --hf-base FOLDER [--revision COMMIT] [registry-dir]
                                      pins the base in registry.yaml: the GGUF's sha256 and every
                                      file of the training base's folder`,
  check: `  loragate check [registry-dir] [--adapter NAME]... [--format text|json|github] [--hidden FILE]...
                                      --hidden: a maintainers' benchmark JSONL kept out of the
                                      registry; matched by id and counts only, never its text`,
  scorecard: `  loragate scorecard RESULTS.json [--registry DIR] [--format text|markdown]
                                      the bar verdict and scorecard of an evaluation (the bar from
                                      DIR/.github/loragate.yml; defaults otherwise); markdown: what
                                      the app posts`,
  proposal: `  loragate proposal check FILE.md [--registry DIR]
                                      an adapter-proposal issue body: what is missing, and the
                                      registry's adapters it overlaps with`,
  eval: EVAL_USAGE,
  import: `  loragate import locollm [LOCOLLM-DIR] --out DIR [--base-gguf FILE] [--base-revision REV]
                                      a LocoLLM repository as it is, written as a loragate registry
                                      with IMPORT_REPORT.md: the field mapping and every TODO`,
  site: `  loragate site [registry-dir] --out DIR
                                      the registry's static site: a leaderboard per domain, a card
                                      per adapter, every adapter against every benchmark`,
  demo: `  loragate demo [--out DIR] [--format text|markdown]
                                      the bundled fixture registry: check, contamination, and a real
                                      evaluation of its math adapter on a generated tiny model; leaves
                                      the base, the adapters, results.json and the site in DIR`,
};

/** Commands that print a scorecard: text for a terminal, or the markdown the app posts. */
const SCORECARD_COMMANDS = new Set(["scorecard", "demo"]);

const EXIT_CODES = `Exit codes: 0 clean (warnings allowed), 1 findings with errors, 2 usage or I/O error,
130/143 interrupted (Ctrl-C / SIGTERM).
`;

const USAGE = `loragate — the merge gate for LoRA adapter registries

Usage:
${Object.values(COMMAND_USAGE).join("\n")}
  loragate --help | loragate COMMAND --help

${EXIT_CODES}`;

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

/** `signal` aborts work that runs in other processes (the demo's trainer) when the CLI is interrupted. */
export async function runCli(argv: string[], io: CliIO = defaultIO, signal?: AbortSignal): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr(`loragate: ${argumentError(error as Error)}\n`);
    return 2;
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
  const format = values.format;
  const formats = SCORECARD_COMMANDS.has(command) ? ["text", "markdown"] : ["text", "json", "github"];
  if (!formats.includes(format)) {
    io.stderr(`loragate: ${command} --format must be ${formats.join(" or ")}, got "${format}"\n`);
    return 2;
  }
  const registryFolderProblem = values.registry && folderProblem(values.registry, "--registry folder");
  if (registryFolderProblem) {
    io.stderr(`loragate: ${registryFolderProblem}\n`);
    return 2;
  }
  if (command === "check" || command === "demo") {
    if (rest.length > 1) {
      io.stderr(`loragate: ${command} takes at most one registry folder\n\n${USAGE}`);
      return 2;
    }
    const root = command === "demo" ? packagePath("fixtures", "registry") : (rest[0] ?? ".");
    const out = values.out ?? DEMO_OUT;
    const problem =
      (await registryProblem(root)) ??
      (await adapterProblem(root, values.adapter ?? [])) ??
      (command === "demo" ? demoOutProblem(out) : undefined);
    if (problem) {
      io.stderr(`loragate: ${problem}\n`);
      return 2;
    }
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
    if (rest[0] !== "check" || rest.length !== 2) {
      io.stderr(`loragate: usage: loragate proposal check FILE.md [--registry DIR]\n`);
      return 2;
    }
    return runProposalCheck({ file: rest[1]!, registry: values.registry, io });
  }
  if (command === "eval") {
    if (rest.length > 0 || (values.adapter?.length ?? 0) > 1) {
      io.stderr(`loragate: eval takes flags only, and one --adapter\n\n${USAGE}`);
      return 2;
    }
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
      },
      io,
    );
  }
  if (command === "import") {
    if (rest[0] !== "locollm" || rest.length > 2 || !values.out) {
      io.stderr(
        `loragate: ${rest[0] === "locollm" && !values.out ? "import needs --out DIR, the new registry's folder; " : ""}usage:\n${COMMAND_USAGE.import}\n`,
      );
      return 2;
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
      io.stderr(
        `loragate: ${values.out ? "" : "site needs --out DIR, the folder to write the site to; "}usage:\n${COMMAND_USAGE.site}\n`,
      );
      return 2;
    }
    const root = rest[0] ?? ".";
    const problem = await registryProblem(root);
    if (problem) {
      io.stderr(`loragate: ${problem}\n`);
      return 2;
    }
    const { runSite } = await import("./site-command.ts");
    return runSite({ root, out: values.out }, io);
  }
  if (command === "scorecard") {
    if (rest.length !== 1) {
      io.stderr(`loragate: scorecard takes one results.json\n\n${USAGE}`);
      return 2;
    }
    return runScorecard({ file: rest[0]!, registry: values.registry, markdown: format === "markdown", io });
  }
  if (command === "init") {
    if (rest.length > 1) {
      io.stderr(`loragate: usage:\n${COMMAND_USAGE.init}\n`);
      return 2;
    }
    const { runInit } = await import("./init-command.ts");
    return runInit({ dir: rest[0] ?? "." }, io);
  }
  if (command === "pin-base") {
    const missing = [values.gguf ? "" : "--gguf FILE", values["hf-base"] ? "" : "--hf-base FOLDER"].filter(
      Boolean,
    );
    if (rest.length > 1 || missing.length > 0) {
      io.stderr(
        `loragate: ${missing.length ? `pin-base needs ${missing.join(" and ")}; ` : ""}usage:\n${COMMAND_USAGE["pin-base"]}\n`,
      );
      return 2;
    }
    const root = rest[0] ?? ".";
    const problem = await registryProblem(root);
    if (problem) {
      io.stderr(`loragate: ${problem}\n`);
      return 2;
    }
    const { runPinBase } = await import("./pin-base-command.ts");
    return runPinBase(
      { registry: root, gguf: values.gguf!, hfBase: values["hf-base"]!, revision: values.revision },
      io,
    );
  }
  const guess = closestName(command, Object.keys(COMMAND_USAGE));
  io.stderr(`loragate: unknown command "${command}"${guess ? `; did you mean "${guess}"?` : ""}\n\n${USAGE}`);
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
      "base-gguf": { type: "string" },
      "base-revision": { type: "string" },
      gguf: { type: "string" },
      "hf-base": { type: "string" },
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
      "(demo: the bundled registry has one valid adapter, math-gsm8k, and one invalid adapter per rule: the ✗ lines below fail on purpose; `loragate check fixtures/registry` prints every finding)\n\n",
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
    p.io.stdout(p.demo ? demoCheckText(report) : formatReport(report, p.format));
    if (p.demo) {
      const { runDemoEvaluation } = await import("./demo-evaluation.ts");
      return (await runDemoEvaluation(p.root, p.io, { signal: p.signal, ...p.demo })) ? 0 : 1;
    }
    return report.registry.ok && report.adapters.every((a) => a.ok) ? 0 : 1;
  } catch (error) {
    progress?.clear();
    p.io.stderr(`loragate: ${(error as Error).message}\n`);
    return 2;
  }
}

/** node:util's argument errors in a line a person reads: what was wrong, and where the options are listed. */
function argumentError(error: Error): string {
  const code = (error as { code?: string }).code;
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option)
    return `unknown option ${option} (loragate --help lists the options)`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) return `option ${option} needs a value`;
  return error.message;
}

/**
 * Why `root` is not a registry to check: not a folder, or no registry.yaml (and, for a LocoLLM repository,
 * how to import it).
 */
async function registryProblem(root: string): Promise<string | undefined> {
  const notFolder = folderProblem(root, "registry folder");
  if (notFolder) return notFolder;
  const source = new FsRegistrySource(root);
  if ((await source.stat(REGISTRY_FILE)) !== undefined) return undefined;
  return (await looksLikeLocoLLM(source))
    ? `${root} looks like a LocoLLM repository (${LOCOLLM_INDEX}, no registry.yaml): convert it first with\n  ${IMPORT_COMMAND.replace("DIR", root)}`
    : `${root} has no registry.yaml: not a loragate registry (run loragate in the registry's root, or pass its path)`;
}

/** Why an `--adapter NAME` names no folder under the registry's adapters/ (a typo, most often): those it has. */
async function adapterProblem(root: string, wanted: string[]): Promise<string | undefined> {
  if (wanted.length === 0) return undefined;
  const names = await listAdapterNames(new FsRegistrySource(root));
  const name = wanted.find((n) => !names.includes(n));
  if (name === undefined) return undefined;
  const shown = names.slice(0, 10).join(", ") + (names.length > 10 ? `, and ${names.length - 10} more` : "");
  return `no adapter ${JSON.stringify(name)} in ${join(root, "adapters")}: ${names.length === 0 ? "it has none" : `it has ${shown}`}`;
}

/** Why `path` cannot be read as a folder, or undefined. */
function folderProblem(path: string, what: string): string | undefined {
  if (!existsSync(path)) return `${what} not found: ${path}`;
  if (!statSync(path).isDirectory()) return `${what} ${path} is a file, not a folder`;
  return undefined;
}

/** Prints the scorecard of a results.json; exit 0 when it passes the bar, 1 when not, 2 on bad input. */
async function runScorecard(p: {
  file: string;
  registry?: string;
  markdown: boolean;
  io: CliIO;
}): Promise<number> {
  const problem = inputFileProblem(p.file, "results file", MAX_RESULTS_BYTES);
  if (problem) {
    p.io.stderr(`loragate: ${problem}\n`);
    return 2;
  }
  const loaded = parseResults(readFileSync(p.file));
  if (!loaded.ok) {
    p.io.stderr(`loragate: invalid ${p.file}:\n${loaded.errors.map((e) => `  ${e}`).join("\n")}\n`);
    return 2;
  }
  const source = p.registry ? new FsRegistrySource(p.registry) : undefined;
  const context = source ? await loadRegistryContext(source) : undefined;
  const configErrors = context?.findings.filter((f) => f.file === CONFIG_FILE) ?? [];
  if (configErrors.length > 0) {
    p.io.stderr(formatReport({ registry: { ok: false, findings: configErrors }, adapters: [] }, "text"));
    return 2;
  }
  const config = context?.config ?? DEFAULT_CONFIG;
  // The app's completeness rule whenever the adapter's folder is there to say what complete means.
  const expected = source
    ? await expectedResultsFor({
        source,
        adapter: loaded.results.adapter,
        hiddenBenchmarks: config.bar.hidden.benchmarks,
        headSha: loaded.results.head_sha,
      })
    : "no --registry was given";
  if (typeof expected === "string")
    p.io.stderr(`loragate: completeness not checked (${expected}): the app would check it\n`);
  const verdict = evaluateBar({
    results: loaded.results,
    config,
    currentScore: currentVersion(context?.registry, loaded.results.adapter),
    ...(typeof expected === "string" ? {} : { expected }),
  });
  const routing =
    source && context && (await scorecardRouting({ source, context, adapter: loaded.results.adapter }));
  const shown = {
    results: loaded.results,
    verdict,
    ...(routing ? { routing: routingSection(loaded.results, routing) } : {}),
  };
  p.io.stdout(p.markdown ? `${renderScorecard(shown)}\n` : renderScorecardText(shown));
  return verdict.pass ? 0 : 1;
}

/** Checks a proposal body offline, as the app does on the issue; exit 0 ready, 1 problems, 2 bad input. */
async function runProposalCheck(p: { file: string; registry?: string; io: CliIO }): Promise<number> {
  const problem = inputFileProblem(p.file, "proposal", 1 << 20);
  if (problem) {
    p.io.stderr(`loragate: ${problem}\n`);
    return 2;
  }
  const source = p.registry ? new FsRegistrySource(p.registry) : undefined;
  const context = source ? await loadRegistryContext(source) : undefined;
  const { proposal, problems } = checkProposal(
    readFileSync(p.file, "utf8"),
    (context?.config ?? DEFAULT_CONFIG).bar.min_train_examples,
  );
  for (const problem of problems)
    p.io.stdout(`${p.file} error ${problem.message} [proposal-${problem.field}]\n  hint: ${problem.hint}\n`);
  if (proposal && source) {
    const manifests: Record<string, string> = {};
    for (const name of await listAdapterNames(source)) {
      const entry = await source.stat(`adapters/${name}/adapter.yaml`);
      if (entry?.kind === "file" && entry.size <= 1 << 20)
        manifests[name] = Buffer.from(await source.read(`adapters/${name}/adapter.yaml`)).toString("utf8");
    }
    const overlaps = proposalOverlap(proposal, adapterCandidates(manifests));
    p.io.stdout(
      overlaps.length
        ? `closest existing adapters (${OVERLAP_MEANING}):\n${overlaps.map((o, i) => `  ${i + 1}. ${o.label}: ${describeOverlap(o)}`).join("\n")}\n`
        : "no overlap with the registry's adapters\n",
    );
  }
  p.io.stdout(
    problems.length === 0 ? "✓ proposal is complete\n" : `✗ ${counted(problems.length, "problem")}\n`,
  );
  return problems.length === 0 ? 0 : 1;
}

/** Hidden benchmarks from local files, labelled hidden:1, hidden:2, ... so no path or text is shown. */
async function loadHiddenBenchmarks(paths: string[]): Promise<BenchmarkInput[]> {
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
