// Bundles the GitHub Action's entry (src/action/main.ts) into action/dist/main.js, committed, as
// JavaScript actions require. node-llama-cpp stays outside: it is native, with per-platform llama.cpp
// builds, and the runner image installs it where Node finds it (see runners/README.md); so do
// web-tree-sitter and tree-sitter-python, whose WebAssembly files are found beside their packages.
// Usage: node scripts/build-action.mjs [outfile]
import { build } from "esbuild";

const outfile = process.argv[2] ?? new URL("../action/dist/main.js", import.meta.url).pathname;
await build({
  entryPoints: [new URL("../src/action/main.ts", import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["node-llama-cpp", "web-tree-sitter", "tree-sitter-python"],
  legalComments: "none",
  // some bundled CommonJS dependencies call require() for Node's own modules
  banner: {
    js: 'import { createRequire as __loragateRequire } from "node:module"; const require = __loragateRequire(import.meta.url);',
  },
  logLevel: "warning",
});
