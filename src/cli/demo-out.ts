/** Where `loragate demo` leaves what it made (apart from demo-evaluation.ts, which loads the harness). */
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { outputFolderProblem } from "./output-folder.ts";

/**
 * The default (no --out): a new folder for each run, so that two demos (two users of one machine, or one
 * user's two terminals) never replace each other's outputs mid-run.
 */
export const newDemoOut = (now = new Date()) =>
  join(
    tmpdir(),
    `loragate-demo-${now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}-${randomBytes(3).toString("hex")}`,
  );
/** Marks a folder the demo wrote, so the next demo may replace it. */
export const DEMO_MARKER = ".loragate-demo";

/** Why the demo may not write its outputs into `out` (a file, or someone else's folder). */
export const demoOutProblem = (out: string) =>
  outputFolderProblem({ out, marker: DEMO_MARKER, what: "demo", inputs: [] });
