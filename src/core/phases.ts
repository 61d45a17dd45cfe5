/** Sees how long each phase of a flow took (benchmarks pass one; the flows keep no timings). */
export type OnPhase = (phase: string, ms: number) => void;

/** `lap(phase)` reports the time since the previous lap (or since the clock started) to `onPhase`. */
export function phaseClock(onPhase?: OnPhase) {
  let at = performance.now();
  return {
    lap(phase: string): void {
      const now = performance.now();
      onPhase?.(phase, now - at);
      at = now;
    },
    /** Starts the next phase now, the time since the last lap timed elsewhere. */
    skip(): void {
      at = performance.now();
    },
  };
}
