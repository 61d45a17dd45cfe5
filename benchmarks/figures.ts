/**
 * A figure of the quick benchmarks (quick.ts): a ratio against its anchor measured in the same run, and
 * how it is judged against the recorded one and its goal.
 */
import { cpus, totalmem } from "node:os";

export interface Figure {
  /** bench.figure, the key in quick.json. */
  name: string;
  what: string;
  value: number;
  better: "higher" | "lower";
  /** The full benchmark's goal for this ratio, where it has one. */
  goal?: number;
  /** Each round's own ratio, where the figure is their median: how far the machine moved it. */
  rounds?: number[];
}

/** The whole `loragate check` process against the minhash anchor, end to end, at least (issue 36). */
export const CHECK_GOAL = 18;

/** How much worse than recorded a ratio may get before the run fails. */
export const TOLERANCE = 1.2;

/** What is wrong with a figure against the recorded one and its goal, or undefined. */
export function verdict(figure: Figure, recorded: number | undefined): string | undefined {
  const { value, better, goal } = figure;
  if (!Number.isFinite(value)) return `${figure.name} is ${value}, not a ratio`;
  if (goal !== undefined && (better === "higher" ? value < goal : value > goal))
    return `${figure.name} ${value.toFixed(2)}x misses its goal (${better === "higher" ? ">=" : "<="} ${goal}x)`;
  if (recorded === undefined) return undefined;
  const worse = better === "higher" ? recorded / value : value / recorded;
  if (worse > TOLERANCE)
    return `${figure.name} ${value.toFixed(2)}x is ${((worse - 1) * 100).toFixed(0)}% worse than recorded (${recorded.toFixed(2)}x in benchmarks/results/quick.json; ${((TOLERANCE - 1) * 100).toFixed(0)}% allowed)`;
  return undefined;
}

/** The machine a result was measured on, written beside it. */
export function machine() {
  return {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}
