import { createHash } from "node:crypto";
import type { Finding } from "../findings/findings.ts";
import { checkRelativePath } from "./paths.ts";
import { loadDocument } from "./load-document.ts";
import { type Config, ConfigSchema, DEFAULT_CONFIG } from "../schemas/config.ts";
import { missingPins, type Registry, RegistrySchema } from "../schemas/registry.ts";
import type { RegistrySource } from "./source.ts";
import { locateYamlPath } from "./yaml.ts";
import { falsePassRate, itemsForDropRule } from "../evaluation/drop-rule.ts";
import { printable } from "../text.ts";

export const REGISTRY_FILE = "registry.yaml";
export const CONFIG_FILE = ".github/loragate.yml";

/** What every adapter is validated against: the registry index and the app config. */
export interface RegistryContext {
  registry: Registry | undefined;
  /** registry.yaml text, for locating findings. */
  registryText: string;
  config: Config;
  findings: Finding[];
}

const SMALL_FILE_LIMIT = 1_048_576;

export async function loadRegistryContext(source: RegistrySource): Promise<RegistryContext> {
  const findings: Finding[] = [];
  const config = await loadConfig(source, findings);
  const entry = await source.stat(REGISTRY_FILE);
  if (entry?.kind !== "file") {
    findings.push({
      file: REGISTRY_FILE,
      line: 0,
      field: "",
      rule: "missing-file",
      severity: "error",
      message: entry ? "registry.yaml is not a regular file" : "registry.yaml not found at the registry root",
      hint: (await looksLikeLocoLLM(source))
        ? `this looks like a LocoLLM repository (${LOCOLLM_INDEX}): convert it with \`${IMPORT_COMMAND}\``
        : "run loragate in the registry repository's root, or pass its path",
    });
    return { registry: undefined, registryText: "", config, findings };
  }
  const loaded = await loadSmallDocument(source, REGISTRY_FILE, entry.size, RegistrySchema, findings);
  if (!loaded) return { registry: undefined, registryText: "", config, findings };
  for (const field of missingPins(loaded.value))
    findings.push({
      file: REGISTRY_FILE,
      ...locateYamlPath(loaded.text, field.split(".").slice(0, -1)),
      field,
      rule: "unpinned-base",
      severity: "warning",
      message: `${field} is not pinned`,
      hint: "pin it before turning the gate on: without it the GPU runners neither train nor evaluate (an imported registry lists it as a TODO)",
    });
  return { registry: loaded.value, registryText: loaded.text, config, findings };
}

/** LocoLLM keeps its index at adapters/registry.yaml (see `loragate import locollm`). */
export const LOCOLLM_INDEX = "adapters/registry.yaml";
export const IMPORT_COMMAND = "loragate import locollm DIR --out NEW_DIR";

export async function looksLikeLocoLLM(source: RegistrySource): Promise<boolean> {
  return (
    (await source.stat(REGISTRY_FILE)) === undefined && (await source.stat(LOCOLLM_INDEX))?.kind === "file"
  );
}

async function loadConfig(source: RegistrySource, findings: Finding[]): Promise<Config> {
  const entry = await source.stat(CONFIG_FILE);
  if (!entry) return DEFAULT_CONFIG;
  if (entry.kind !== "file") {
    // a folder, a link or a FIFO: never opened (a FIFO would block the read for ever)
    findings.push({
      file: CONFIG_FILE,
      line: 0,
      field: "",
      rule: "file-type",
      severity: "error",
      message: `${CONFIG_FILE} is ${entry.kind === "dir" ? "a folder" : entry.kind === "symlink" ? "a symbolic link" : "not a regular file"}`,
      hint: "make it a regular YAML file, or remove it to use the defaults",
    });
    return DEFAULT_CONFIG;
  }
  // Comments alone (loragate init's file, every key commented out) mean the defaults, as no file does.
  if (entry.size <= SMALL_FILE_LIMIT && onlyComments(await source.read(CONFIG_FILE))) return DEFAULT_CONFIG;
  const loaded = await loadSmallDocument(source, CONFIG_FILE, entry.size, ConfigSchema, findings);
  return loaded?.value ?? DEFAULT_CONFIG;
}

/** Some comment lines and nothing else (an empty file stays an empty-file finding). */
function onlyComments(bytes: Uint8Array): boolean {
  const lines = new TextDecoder().decode(bytes).split("\n");
  return (
    !bytes.includes(0) &&
    lines.some((line) => line.trimStart().startsWith("#")) &&
    lines.every((line) => /^\s*(?:#.*)?$/.test(line))
  );
}

async function loadSmallDocument<T>(
  source: RegistrySource,
  file: string,
  size: number,
  schema: Parameters<typeof loadDocument>[2] & { _output: T },
  findings: Finding[],
): Promise<{ value: T; text: string } | undefined> {
  if (size > SMALL_FILE_LIMIT) {
    findings.push({
      file,
      line: 0,
      field: "",
      rule: "file-too-large",
      severity: "error",
      message: `${file} is ${size} bytes, over ${SMALL_FILE_LIMIT}`,
      hint: "YAML documents here are small; is this the right file?",
    });
    return undefined;
  }
  const loaded = loadDocument(file, await source.read(file), schema);
  if (!loaded.ok) {
    findings.push(...loaded.findings);
    return undefined;
  }
  return { value: loaded.value as T, text: loaded.text };
}

/** sha256 of a file, streamed. */
export async function sha256Of(source: RegistrySource, path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of source.stream(path)) hash.update(chunk);
  return hash.digest("hex");
}

/** Registry benchmarks must exist and match their pinned sha256, or no score is comparable. */
export async function checkRegistryBenchmarks(
  source: RegistrySource,
  context: RegistryContext,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const known = Object.keys(context.registry?.benchmarks ?? {});
  (context.config.bar.out_of_domain.benchmarks ?? []).forEach((name, i) => {
    if (context.registry && !known.includes(name))
      findings.push({
        file: CONFIG_FILE,
        line: 0,
        field: `bar.out_of_domain.benchmarks.${i}`,
        rule: "unknown-benchmark",
        severity: "error",
        message: `bar.out_of_domain.benchmarks names "${printable(name)}", which is not a registry benchmark`,
        hint: `use registry benchmarks: ${known.join(", ") || "(none)"}`,
      });
  });
  for (const [domain, pin] of Object.entries(context.registry?.benchmarks ?? {})) {
    const at = locateYamlPath(context.registryText, ["benchmarks", domain, "sha256"]);
    // registry.yaml arrives in pull requests too: its paths get the adapters' rules, nothing outside is read
    const problem = checkRelativePath(pin.path);
    if (problem) {
      findings.push({
        file: REGISTRY_FILE,
        ...locateYamlPath(context.registryText, ["benchmarks", domain, "path"]),
        field: `benchmarks.${domain}.path`,
        rule: problem.rule,
        severity: "error",
        message: problem.message.replace("the adapter folder", "the registry"),
        hint: "give the benchmark's path relative to the registry root, inside it",
      });
      continue;
    }
    const entry = await source.stat(pin.path);
    if (entry?.kind !== "file") {
      findings.push({
        file: REGISTRY_FILE,
        ...at,
        field: `benchmarks.${domain}.path`,
        rule: "missing-file",
        severity: "error",
        message: `benchmark "${pin.path}" of domain ${domain} is ${entry?.kind === "symlink" ? "reached through a symbolic link, which is never followed" : entry ? "not a regular file" : "missing"}`,
        hint: "restore the file or fix its path",
      });
      continue;
    }
    const actual = await sha256Of(source, pin.path);
    if (actual !== pin.sha256) {
      findings.push({
        file: REGISTRY_FILE,
        ...at,
        field: `benchmarks.${domain}.sha256`,
        rule: "sha256-mismatch",
        severity: "error",
        message: `${pin.path} has sha256 ${actual}, registry.yaml pins ${pin.sha256}`,
        hint: "benchmarks are pinned: restore the file, or have a maintainer re-pin it deliberately",
      });
    }
  }
  return findings;
}

/** Non-blank lines of a JSONL file: its items, as the evaluation will count them. */
async function countItems(source: RegistrySource, path: string): Promise<number> {
  let items = 0;
  let blank = true;
  for await (const chunk of source.stream(path)) {
    // line by line with indexOf: a line is seldom blank, so its first byte or two decide it
    for (let at = 0; at < chunk.length;) {
      const newline = chunk.indexOf(0x0a, at);
      const end = newline < 0 ? chunk.length : newline;
      for (let i = at; blank && i < end; i++) {
        const byte = chunk[i];
        if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) blank = false;
      }
      if (newline < 0) break;
      if (!blank) items++;
      blank = true;
      at = newline + 1;
    }
  }
  return blank ? items : items + 1;
}

/**
 * Registry benchmarks too small for the bar's drop rules: at their size an adapter costing twice the
 * stricter of the domain and out-of-domain limits passes more often than bar.drop_rule.false_pass.
 * One finding for them all, each named with its size and rate.
 */
export async function checkBenchmarkSizes(
  source: RegistrySource,
  context: RegistryContext,
): Promise<Finding[]> {
  const { bar } = context.config;
  const limitPoints = Math.min(bar.domain.max_degradation_points, bar.out_of_domain.max_degradation_points);
  const settings = { limitPoints, alpha: bar.drop_rule.alpha };
  const { discordance, false_pass: falsePass } = bar.drop_rule;
  const needed = itemsForDropRule({ settings, falsePass, discordance });
  const percent = (x: number) => `${(x * 100).toFixed(0)}%`;
  const small: string[] = [];
  for (const [domain, pin] of Object.entries(context.registry?.benchmarks ?? {})) {
    if (checkRelativePath(pin.path) || (await source.stat(pin.path))?.kind !== "file") continue;
    const items = await countItems(source, pin.path);
    if (items >= needed) continue;
    small.push(`${domain} (${items} items: ${percent(falsePassRate({ items, settings, discordance }))})`);
  }
  if (small.length === 0) return [];
  return [
    {
      file: REGISTRY_FILE,
      ...locateYamlPath(context.registryText, ["benchmarks"]),
      field: "benchmarks",
      rule: "benchmark-too-small-for-limits",
      severity: "warning",
      message: `an adapter that costs ${2 * limitPoints} points passes the -${limitPoints}-point drop rule of ${small.join(", ")} of the time (if ${percent(discordance)} of item scores change), over the bar's ${percent(falsePass)}`,
      hint: Number.isFinite(needed)
        ? `grow each to ${needed} items, or accept that error rate`
        : "no benchmark size meets that target at this limit: raise the limit or bar.drop_rule.false_pass",
    },
  ];
}
