import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";
import { CPUS, scaled } from "./test/support/load.ts";

/**
 * Files that run alone, one at a time after all the others: those that assert how long something takes
 * (a signal answered, a stall bounded, an answer within a second) or send signals to processes whose
 * answer they time. Everything else runs in parallel (a file per CPU and one more): that includes files
 * whose bounds are ratios measured in the same run, or limits many times what they take, scaled to the
 * load (test/support/load.ts): hostile-artifacts, -datasets, -fifos, -routing, -scoring, units,
 * app-faults and app-github-timeout; app-operations and app-replicas, which time nothing (their
 * deadlines are minutes, the replicas' write pace a lower bound) and signal nothing; and the files that
 * train with torch: train.py takes its threads from OMP_NUM_THREADS (one here), and the suite's shared
 * trainings (test/support/shared-trainer.mjs) run on one thread wherever they start.
 */
const ALONE = [
  "app-journey", // an answer within a second; a SIGKILL mid-validation
  "app-kills", // SIGKILL at every step, then the reconciler's catch-up against a deadline
  "app-readiness", // /readyz within 5 s of a hung GitHub; a SIGKILL and restart
  "app-process", // SIGTERM mid-work; answers within a second
  "app-real-conditions", // SIGKILL at each step; hung calls against a 3 s timeout
  "cli", // an interrupted check, answered at once
  "hostile-app", // 100 oversized bodies against the app's process, bounds on held bodies
  "hostile-signals", // SIGTERM/SIGINT answered within 2 s; the event loop's longest stall
].map((name) => `test/${name}.test.ts`);

/**
 * Trainings the suite shares (test/support/shared-trainer.mjs): the file that makes them (through the
 * action, with its checks) goes first, those that only reuse them go last, so they find them made.
 */
const TRAIN_FIRST = ["test/retrain.test.ts"];
const TRAIN_LAST = ["test/fixture-adapters.test.ts", "test/cli-demo.test.ts"];

/** The base order (slowest first, from the last run), with the files that share trainings placed. */
class SharedTrainingsOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const among = (names: string[]) => (f: TestSpecification) =>
      names.some((name) => f.moduleId.endsWith(name));
    const [first, last] = [among(TRAIN_FIRST), among(TRAIN_LAST)];
    const sorted = await super.sort(files);
    return [...sorted.filter(first), ...sorted.filter((f) => !first(f) && !last(f)), ...sorted.filter(last)];
  }
}

/** What both projects share; not `extends: true`, which would run the global setup once more per project. */
const COMMON = { testTimeout: scaled(60_000), hookTimeout: scaled(60_000), pool: "forks" } as const;

export default defineConfig({
  test: {
    globalSetup: ["test/support/temp-folder.ts"],
    // one order for the run (vitest reads the sequencer here, not per project)
    sequence: { sequencer: SharedTrainingsOrder },
    projects: [
      {
        test: {
          ...COMMON,
          name: "parallel",
          include: ["test/**/*.test.ts"],
          exclude: ALONE,
          // a file per CPU and one more: most files wait on processes, sockets or Python part of the
          // time, and a third fills those gaps (on 2 cores this project took 379 s so, 434 s with two)
          maxWorkers: CPUS + 1,
          // torch gets one thread here (the trainings and the tokenizer tests' Python): the other files
          // have the other CPUs
          env: { OMP_NUM_THREADS: "1" },
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...COMMON,
          name: "alone",
          include: ALONE,
          fileParallelism: false,
          env: { OMP_NUM_THREADS: String(CPUS) },
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
