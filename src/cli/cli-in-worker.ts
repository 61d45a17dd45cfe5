/**
 * `loragate check` in the installed CLI: the whole command (its arguments, the check, the report's text)
 * runs in one worker thread, started before anything else is loaded, while this thread only holds the
 * signal handlers (asCliProcess) and writes what the worker says. The main thread is then never busy
 * when Ctrl-C or SIGTERM comes (see check-in-worker.ts for why), and the CLI's modules load once, in
 * the worker, instead of in both threads: a check is short, so loading was a third of its time.
 * This module loads nothing of the CLI itself.
 */
import { startWorker, watchWorker } from "../core/dataset/workers.ts";

export interface CliJob {
  argv: string[];
  isTTY: boolean;
}

export type CliMessage =
  | { type: "stdout" | "stderr"; text: string }
  | { type: "exit"; code: number }
  | { type: "failed"; error: Error };

/** Runs `argv` in a worker thread, writing its output here; resolves to the exit code. */
export async function runCliInWorker(argv: string[]): Promise<number> {
  const worker = startWorker(import.meta.url, "cli-worker", {
    argv,
    isTTY: Boolean(process.stderr.isTTY),
  } satisfies CliJob);
  try {
    let settled = false;
    return await new Promise<number>((resolve, reject) => {
      watchWorker(worker, () => settled, reject);
      worker.on("message", (message: CliMessage) => {
        if (message.type === "exit") {
          settled = true;
          resolve(message.code);
        } else if (message.type === "failed") {
          settled = true;
          reject(message.error);
        } else (message.type === "stdout" ? process.stdout : process.stderr).write(message.text);
      });
    });
  } finally {
    await worker.terminate();
  }
}
