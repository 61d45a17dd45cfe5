#!/usr/bin/env node
// Entry of the installed CLI: runs the bundled build (npm run build, also run by `prepare`).
import { asCliProcess } from "../dist/cli-bundle/interrupt.js";
import { runCliInWorker } from "../dist/cli-bundle/cli-in-worker.js"; // small: loads none of the CLI

const signal = asCliProcess(); // first, so a signal during the loading below ends the process as it should
const argv = process.argv.slice(2);
if (argv[0] === "check") {
  // The whole command in a worker thread, started now: this thread loads nothing more and stays free
  // to answer signals (cli-in-worker.ts).
  process.exitCode = await runCliInWorker(argv);
} else {
  const { runCli } = await import("../dist/cli-bundle/main.js");
  process.exitCode = await runCli(argv, undefined, signal);
}
