import type { RE2JS } from "re2js";

/**
 * Compiled RE2 programs by pattern and flags, so a benchmark's items that share a pattern (or the
 * expected output used as one) compile it once, in validation and in scoring: a compile costs up to
 * ~5 ms (`(?:.*){1000}=`), 100× scoring a plain item, and 20,000 items compiled one each took 93 s.
 * A refused pattern is kept too, so it is refused at once the next time.
 * Bounded: the most recently used MAX_PATTERNS, holding at most MAX_INSTRUCTIONS instructions in all
 * (a pattern is at most 500 characters; its program, up to ~2,000 instructions).
 */
export const MAX_PATTERNS = 2048;
export const MAX_INSTRUCTIONS = 1_000_000;

type Compiled = { regex: RE2JS; size: number } | { refused: Error; size: number };

const cache = new Map<string, Compiled>();
let instructions = 0;

/** What `compile` makes of `pattern` under `options` (or its error, thrown again), compiled once. */
export function cachedRegex(pattern: string, options: string, compile: () => RE2JS): RE2JS {
  const key = `${options}/${pattern}`;
  let entry = cache.get(key);
  if (entry)
    cache.delete(key); // to the end: the most recently used
  else {
    try {
      const regex = compile();
      entry = { regex, size: regex.programSize() };
    } catch (error) {
      entry = { refused: error as Error, size: 1 };
    }
    instructions += entry.size;
  }
  cache.set(key, entry);
  for (const [oldest, old] of cache) {
    if (cache.size <= MAX_PATTERNS && instructions <= MAX_INSTRUCTIONS) break;
    if (oldest === key) break; // the one asked for stays, however large
    cache.delete(oldest);
    instructions -= old.size;
  }
  if ("refused" in entry) throw entry.refused;
  return entry.regex;
}

/** How many patterns and instructions the cache holds (for tests of its bound). */
export const regexCacheSize = () => ({ patterns: cache.size, instructions });
