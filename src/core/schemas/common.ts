import { z } from "zod";

/** Adapter and domain names: lower-case ASCII, digits and dashes; safe in paths, shells, URLs and YAML. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const NameSchema = z
  .string()
  .regex(NAME_PATTERN, "must match ^[a-z0-9][a-z0-9-]{1,62}$ (lower-case letters, digits, dashes)");

/**
 * Text shown to people (descriptions, authors): no control characters but tab and line feed (YAML's
 * folded scalars end in one), so a terminal escape from a PR never reaches a terminal or a page.
 */
export const DisplayTextSchema = z
  .string()
  .regex(/^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$/, "must not contain control characters such as terminal escapes");

/** Semantic version without build metadata, e.g. 0.2.0 or 1.0.0-rc.1. */
export const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/;
export const SemverSchema = z.string().regex(SEMVER_PATTERN, "must be a semantic version such as 0.2.0");

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits (sha256)");
/** A full git commit sha, as GitHub gives it. */
export const GIT_SHA_PATTERN = /^[0-9a-f]{40}$/;
export const GitShaSchema = z.string().regex(GIT_SHA_PATTERN, "must be a 40-hex-digit git commit sha");

/** A path inside a folder: relative, forward slashes, no `..`, no hidden tricks. */
export const RelativePathSchema = z
  .string()
  .min(1)
  .max(255)
  .describe("A path relative to the adapter folder, with forward slashes.");

export const EVALUATION_TYPES = [
  "exact_match",
  "numeric",
  "contains",
  "regex",
  "rouge_l",
  "keywords",
  "code",
] as const;
export const EvaluationTypeSchema = z
  .enum(EVALUATION_TYPES)
  .describe("How a model answer is scored against expected_output.");

/** The token budget of one answer, wherever it is set (adapter, registry, config): each says whose it is. */
export const MaxTokensSchema = z.number().int().min(1).max(4096);

/** Fields an importer kept from another tool's files that loragate has no place for; never read. */
export const ExtraSchema = z
  .record(z.string(), z.unknown())
  .optional()
  .describe("Kept from an imported registry (e.g. LocoLLM's) for people to read; loragate does not use it.");
