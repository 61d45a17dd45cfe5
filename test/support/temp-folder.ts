/**
 * vitest's global setup: every test run gets a temp folder of its own (TMPDIR, which os.tmpdir() and the
 * processes the tests start read), removed when the run ends, so no run leaves files, FIFOs or a demo's
 * output behind, and no two runs share one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const RUN_TEMP_PREFIX = "loragate-test-run-";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), RUN_TEMP_PREFIX));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
