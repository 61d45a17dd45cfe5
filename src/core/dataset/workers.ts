import { open } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import type { RegistrySource } from "../registry/source.ts";

/**
 * A pass over a dataset goes to worker threads only when one thread would take longer than this: a
 * worker costs ~0.2 s before its first line (it loads the modules again), so on two cores a shorter
 * pass is done sooner alone (measured: contamination of 9.6 MB, 0.39 s alone vs 0.48 s with a worker).
 */
const PARALLEL_MIN_SECONDS = 0.5;

/** How fast one thread reads, per pass (`npm run bench -- validate` and `-- contamination`, this VM). */
const ONE_THREAD_BYTES_PER_SECOND = { validation: 150e6, contamination: 25e6 } as const;

/**
 * The local path to read `file` from in worker threads, or undefined to read it in this thread: the one
 * rule for validation and contamination, by the time one thread would take at the pass's rate.
 */
export function parallelReadPath(
  source: RegistrySource,
  file: string,
  size: number,
  pass: keyof typeof ONE_THREAD_BYTES_PER_SECOND,
  threads?: number,
): string | undefined {
  const path = source.localPath?.(file);
  const alone = size / ONE_THREAD_BYTES_PER_SECOND[pass];
  return path && threads !== 1 && alone >= PARALLEL_MIN_SECONDS ? path : undefined;
}

/**
 * Starts ./<name>.js from the build, relative to the calling module's URL. When the caller runs as
 * TypeScript (tsx, vitest), the worker registers tsx's loader first (the dev dependency those
 * runners already use) and loads ./<name>.ts.
 */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  if (!callerUrl.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
  const url = new URL(`./${name}.ts`, callerUrl).href;
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** Rejects when the worker fails or exits before `settled()` says its job is done. */
export function watchWorker(worker: Worker, settled: () => boolean, reject: (error: Error) => void): void {
  worker.once("error", reject);
  worker.once("exit", (code) => {
    if (!settled()) reject(new Error(`worker stopped with exit code ${code} before finishing`));
  });
}

/**
 * Offsets [0, ..., size] where each inner one is just after a newline (fewer ranges when lines are
 * huge). `firstShare` > 1 gives the first range that much more than the others.
 */
export async function splitAtLineEnds(
  path: string,
  size: number,
  parts: number,
  firstShare = 1,
): Promise<number[]> {
  const total = firstShare + parts - 1;
  const bounds = [0];
  const handle = await open(path, "r");
  try {
    const buf = Buffer.alloc(1 << 16);
    for (let k = 1; k < parts; k++) {
      let at = Math.max(Math.floor((size * (firstShare + k - 1)) / total), bounds.at(-1)!);
      let found = -1;
      while (found < 0 && at < size) {
        const { bytesRead } = await handle.read(buf, 0, buf.length, at);
        if (bytesRead === 0) break;
        const nl = buf.subarray(0, bytesRead).indexOf(10);
        if (nl >= 0) found = at + nl + 1;
        else at += bytesRead;
      }
      if (found > bounds.at(-1)! && found < size) bounds.push(found);
    }
  } finally {
    await handle.close();
  }
  bounds.push(size);
  return bounds;
}
