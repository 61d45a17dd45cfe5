import { existsSync, statSync } from "node:fs";

/**
 * Why `path` cannot be read as an input file, or undefined: missing, a folder, not a regular file (a
 * FIFO or device would block the read for ever), or larger than `maxBytes`.
 */
export function inputFileProblem(path: string, what: string, maxBytes: number): string | undefined {
  if (!existsSync(path)) return `${what} not found: ${path}`;
  const stat = statSync(path);
  if (stat.isDirectory()) return `${what} ${path} is a folder, not a file`;
  if (!stat.isFile()) return `${what} ${path} is not a regular file (a FIFO, socket or device is never read)`;
  if (stat.size > maxBytes) return `${what} ${path} is larger than ${maxBytes} bytes`;
  return undefined;
}
