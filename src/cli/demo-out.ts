/** Where `loragate demo` leaves what it made (apart from demo-evaluation.ts, which loads the harness). */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { outputFolderProblem } from "./output-folder.ts";

/** The default (--out): replaced by the next demo, and nothing else is. */
export const DEMO_OUT = join(tmpdir(), "loragate-demo");
/** Marks a folder the demo wrote, so the next demo may replace it. */
export const DEMO_MARKER = ".loragate-demo";

/** Why the demo may not write its outputs into `out` (a file, or someone else's folder). */
export const demoOutProblem = (out: string) =>
  outputFolderProblem({ out, marker: DEMO_MARKER, what: "demo", inputs: [] });
