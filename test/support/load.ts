/**
 * Limits that scale with the machine's load: a test that waits for work (a training, a signal answered,
 * a bound on a stall) gets its idle-machine limit times how many runnable processes each CPU has now, so
 * it passes with the same margin on a shared machine as on an idle one, never by luck.
 */
import { availableParallelism, loadavg } from "node:os";

/** CPUs this process may run on (affinity and cgroup limits included). */
export const CPUS = availableParallelism();

/**
 * How much slower than idle the machine is: the last minute's load per CPU, at least 1, at most 10;
 * LORAGATE_TEST_SLOWDOWN sets it (CI on a machine of its own: 1).
 */
export const SLOWDOWN =
  Number(process.env.LORAGATE_TEST_SLOWDOWN) || Math.min(10, Math.max(1, loadavg()[0]! / CPUS));

/** An idle machine's limit in ms, scaled to this machine's load. */
export const scaled = (ms: number): number => Math.round(ms * SLOWDOWN);
