/** adapter.yaml's rules beyond its schema: against the registry, its limits, and RE2. */
import { RE2_HINT, safeRegex } from "../evaluation/scoring.ts";
import type { FindingDraft } from "../findings/findings.ts";
import type { RegistryContext } from "../registry/registry-context.ts";
import { compareSemver } from "../registry/semver.ts";
import type { AdapterManifest } from "../schemas/adapter.ts";
import { printable } from "../text.ts";

type Add = (f: FindingDraft) => void;
/** Where a manifest field is: its file, line and column. */
type At = (...path: (string | number)[]) => { file: string; line: number; column?: number };

/** The patterns the adapter's own benchmark is scored with must run on RE2: said here, not at evaluation. */
export function checkManifestPatterns(manifest: AdapterManifest, at: At, add: Add): void {
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

export function checkManifestAgainstRegistry(
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
