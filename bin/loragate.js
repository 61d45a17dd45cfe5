#!/usr/bin/env node
// Entry of the installed CLI: runs the bundled build (npm run build, also run by `prepare`).
import { asCliProcess } from "../dist/cli-bundle/interrupt.js";
import { startCheckWorkerEarly } from "../dist/cli-bundle/check-in-worker.js";

const signal = asCliProcess(); // first, so a signal during the loading below ends the process as it should
const argv = process.argv.slice(2);
// `check` runs in a worker thread: started now, it compiles the check's modules on the other core while
// this thread loads the CLI's and reads the arguments.
if (argv[0] === "check") startCheckWorkerEarly();
const { runCli } = await import("../dist/cli-bundle/main.js");
process.exitCode = await runCli(argv, undefined, signal);
