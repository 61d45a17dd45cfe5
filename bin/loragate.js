#!/usr/bin/env node
// Entry of the installed CLI: runs the compiled build (npm run build, also run by `prepare`).
import { exitOnInterrupt } from "../dist/cli/interrupt.js";
import { runCli } from "../dist/cli/main.js";

process.exitCode = await runCli(process.argv.slice(2), undefined, exitOnInterrupt());
