/**
 * Whether a text parses as Python, by tree-sitter's Python grammar (tree-sitter-python, run as
 * WebAssembly by web-tree-sitter): a real parser, so the code type never judges syntax by regex.
 * The grammar loads asynchronously once; scoring stays synchronous after that.
 */
import { createRequire } from "node:module";
import type { Parser as TreeSitterParser } from "web-tree-sitter";

let parser: TreeSitterParser | undefined;

/** Loads the grammar (about 0.5 MB of WebAssembly); idempotent. */
export async function loadPythonSyntax(): Promise<void> {
  if (parser) return;
  const { Parser, Language } = await import("web-tree-sitter");
  await Parser.init();
  const language = await Language.load(
    createRequire(import.meta.url).resolve("tree-sitter-python/tree-sitter-python.wasm"),
  );
  const loaded = new Parser();
  loaded.setLanguage(language);
  parser = loaded;
}

/**
 * Wall time one parse may take: tree-sitter-python's scanner is quadratic on some shapes (backslash line
 * continuations: 20,000 characters took 1-7 s), and scoring runs on the app's and runner's one thread.
 * Scoring refuses the shape it knows before parsing; this stops any other the same way.
 */
export const PARSE_BUDGET_MS = 1000;

/**
 * Whether `source` is a Python module without syntax errors (empty text is not an answer): "valid",
 * "invalid", or "over-budget" when the parse was stopped at PARSE_BUDGET_MS.
 */
export function pythonSyntax(source: string): "valid" | "invalid" | "over-budget" {
  // a caller that scores code without loading the grammar first is a bug, not a bad item
  if (!parser) throw new Error("the Python grammar is not loaded: await loadPythonSyntax() first");
  if (source.trim() === "") return "invalid";
  const deadline = performance.now() + PARSE_BUDGET_MS;
  let stopped = false;
  const tree = parser.parse(source, null, {
    // tree-sitter cancels the parse when this returns true (its typing says void)
    progressCallback: (() => (stopped ||= performance.now() > deadline)) as () => void,
  });
  if (!tree) {
    parser.reset(); // a stopped parse would otherwise be resumed by the next call
    return stopped ? "over-budget" : "invalid";
  }
  try {
    return tree.rootNode.hasError ? "invalid" : "valid";
  } finally {
    tree.delete();
  }
}
