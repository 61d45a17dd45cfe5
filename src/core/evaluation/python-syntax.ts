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

/** True when `source` is a Python module without syntax errors (empty text is not an answer). */
export function parsesAsPython(source: string): boolean {
  // a caller that scores code without loading the grammar first is a bug, not a bad item
  if (!parser) throw new Error("the Python grammar is not loaded: await loadPythonSyntax() first");
  if (source.trim() === "") return false;
  const tree = parser.parse(source);
  if (!tree) return false;
  try {
    return !tree.rootNode.hasError;
  } finally {
    tree.delete();
  }
}
