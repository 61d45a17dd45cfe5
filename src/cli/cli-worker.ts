// The CLI's command in a worker thread (see cli-in-worker.ts): what it writes, then its exit code.
// runCli runs here without an AbortSignal: the check then runs in this thread, not in a worker of its own.
import { parentPort, workerData } from "node:worker_threads";
import type { CliJob, CliMessage } from "./cli-in-worker.ts";
import { runCli } from "./main.ts";

const post = (message: CliMessage) => parentPort!.postMessage(message);
const { argv, isTTY } = workerData as CliJob;
try {
  const code = await runCli(argv, {
    stdout: (text) => post({ type: "stdout", text }),
    stderr: (text) => post({ type: "stderr", text }),
    isTTY,
  });
  post({ type: "exit", code });
} catch (error) {
  post({ type: "failed", error: error as Error });
}
