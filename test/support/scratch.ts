import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A folder of the calling test file's own (under the run's temp folder), removed after its tests. */
export function scratchFolder(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `loragate-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
