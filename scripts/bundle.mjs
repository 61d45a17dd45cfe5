// esbuild bundles of loragate's two programs that run from a command line:
//   node scripts/bundle.mjs action [outfile]   the GitHub Action's entry (src/action/main.ts) in one file,
//                                              action/dist/main.js, committed, as JavaScript actions require
//   node scripts/bundle.mjs cli                the CLI in dist/cli-bundle/ (bin/loragate.js runs it): one
//                                              file per command and per worker thread, so a command loads
//                                              what it uses in a few files instead of ~100 modules
// node-llama-cpp stays outside: it is native, with per-platform llama.cpp builds, and the runner image
// installs it where Node finds it (see runners/README.md); so do web-tree-sitter and tree-sitter-python,
// whose WebAssembly files are found beside their packages.
import { build } from "esbuild";

const src = (path) => new URL(`../src/${path}`, import.meta.url).pathname;

const common = {
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
};

/**
 * zod's error messages in English only: its namespace export carries ~45 other languages (360 KB, half
 * of zod in the bundle) that loragate never selects, and every thread that loads zod compiles them.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes("/zod/") ? { path: args.importer, namespace: "zod-locales" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(new URL("../locales/en.js", `file://${args.path}`).pathname)};`,
      loader: "js",
      resolveDir: "/",
    }));
  },
};

const [target, outfile] = process.argv.slice(2);
if (target === "action") {
  await build({
    ...common,
    entryPoints: [src("action/main.ts")],
    outfile: outfile ?? new URL("../action/dist/main.js", import.meta.url).pathname,
  });
} else if (target === "cli") {
  await build({
    ...common,
    // Worker entries keep the names startWorker() asks for, beside the chunks that start them.
    entryPoints: {
      main: src("cli/main.ts"),
      interrupt: src("cli/interrupt.ts"),
      worker: src("core/contamination/worker.ts"),
      "dataset-worker": src("core/dataset/dataset-worker.ts"),
      "check-worker": src("cli/check-worker.ts"),
      // bin/loragate.js runs `check` in a worker from here, and loads nothing else (cli-in-worker.ts)
      "cli-in-worker": src("cli/cli-in-worker.ts"),
      "cli-worker": src("cli/cli-worker.ts"),
    },
    outdir: new URL("../dist/cli-bundle", import.meta.url).pathname,
    splitting: true,
    plugins: [zodEnglishOnly],
  });
} else {
  console.error("usage: node scripts/bundle.mjs action [outfile] | cli");
  process.exit(2);
}
