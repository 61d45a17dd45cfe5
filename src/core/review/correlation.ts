/**
 * One id per pull request head, `pr<N>-<sha12>`: the app dispatches with it, the workflow puts it in
 * its run-name, the action checks it against its inputs, and the app matches a finished run back to
 * its PR and commit by it. Format and parse live here only.
 */
export const correlationId = (pr: number, headSha: string): string => `pr${pr}-${headSha.slice(0, 12)}`;

const IN_TEXT = /\bpr([0-9]+)-([0-9a-f]{12})\b/;

export interface Correlation {
  id: string;
  pr: number;
  /** The first 12 hex digits of the head commit. */
  shaPrefix: string;
}

/** The correlation id in a run-name such as `loragate pr12-0123456789ab`, if there is one. */
export function parseCorrelation(text: string | null | undefined): Correlation | undefined {
  const match = IN_TEXT.exec(text ?? "");
  return match ? { id: match[0], pr: Number(match[1]), shaPrefix: match[2]! } : undefined;
}

/** Whether `id` is exactly a well-formed correlation id (nothing around it). */
export const isCorrelationId = (id: string): boolean => parseCorrelation(id)?.id === id;
