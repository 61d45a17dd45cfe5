/**
 * The operator's pins of the hidden benchmarks: their sha256, in LORAGATE_HIDDEN_SHA256 of the app and
 * of the runners (comma-separated), never in the registry, whose files anyone can read. The runner
 * refuses to evaluate with a hidden file that is not pinned, or without one that is; the app counts
 * results complete only when their hidden benchmarks are the pinned files. Problems name a hidden
 * benchmark by its label, never its path or hash, as every output does.
 */
export const HIDDEN_PINS_VARIABLE = "LORAGATE_HIDDEN_SHA256";

/** The variable's form: one or more sha256, comma-separated. */
export const HIDDEN_PINS_PATTERN = /^[0-9a-f]{64}(?:,[0-9a-f]{64})*$/;

export const HIDDEN_PINS_FORMAT =
  "must be the sha256 of each hidden benchmark file, 64 lower-case hex digits each, comma-separated";

/** The pins in a variable's value: undefined when it is unset or empty, a problem when it is malformed. */
export function parseHiddenPins(value: string | undefined): { pins?: string[] } | { problem: string } {
  if (value === undefined || value.trim() === "") return {};
  const text = value.trim();
  if (!HIDDEN_PINS_PATTERN.test(text)) return { problem: `${HIDDEN_PINS_VARIABLE} ${HIDDEN_PINS_FORMAT}` };
  return { pins: text.split(",") };
}

/** What differs between the hidden benchmarks evaluated (by label and sha256) and the pins. */
export function hiddenPinProblems(
  hidden: readonly { name: string; sha256: string }[],
  pins: readonly string[],
): string[] {
  const problems = hidden
    .filter((b) => !pins.includes(b.sha256))
    .map((b) => `${b.name} is a file the operator did not pin (${HIDDEN_PINS_VARIABLE})`);
  const missing = pins.filter((pin) => !hidden.some((b) => b.sha256 === pin)).length;
  if (missing > 0)
    problems.push(`${missing} pinned hidden benchmark${missing === 1 ? " was" : "s were"} not evaluated`);
  return problems;
}
