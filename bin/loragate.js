#!/usr/bin/env node
// Entry of the installed CLI: runs the bundled build (npm run build, also run by `prepare`).
import { asCliProcess } from "../dist/cli-bundle/interrupt.js";
import { runCli } from "../dist/cli-bundle/main.js";

process.exitCode = await runCli(process.argv.slice(2), undefined, asCliProcess());
