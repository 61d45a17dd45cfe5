/** Rules for paths that come from PR content: data, never trusted. */

export type PathProblem = { rule: "absolute-path" | "path-traversal" | "invalid-path"; message: string };

/** Checks a manifest path relative to the adapter folder; returns the problem or undefined. */
export function checkRelativePath(path: string): PathProblem | undefined {
  if (/[\0-\x1f\x7f]/.test(path))
    return { rule: "invalid-path", message: "path contains control characters" };
  if (path.includes("\\"))
    return { rule: "invalid-path", message: "path uses backslashes; write it with forward slashes" };
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || path.startsWith("~")) {
    return { rule: "absolute-path", message: `path "${path}" is absolute` };
  }
  const segments = path.split("/");
  if (segments.includes(".."))
    return { rule: "path-traversal", message: `path "${path}" leaves the adapter folder` };
  if (segments.some((s) => s === ""))
    return { rule: "invalid-path", message: `path "${path}" has an empty segment` };
  return undefined;
}

/** Joins registry-relative segments; inputs must already be checked. */
export function joinPath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split("/"))
    .filter((s) => s !== "" && s !== ".")
    .join("/");
}

export const PICKLE_EXTENSIONS = [".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib"];
export const ALLOWED_EXTENSIONS = [
  ".yaml",
  ".yml",
  ".jsonl",
  ".json",
  ".md",
  ".txt",
  ".safetensors",
  ".gguf",
  ".png",
  ".jpg",
  ".svg",
];

export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}
