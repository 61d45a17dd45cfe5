import type { GitHub, RepoRef } from "./types.ts";

/** A file's bytes at a ref, or undefined when it does not exist there (or is not a file). */
export async function readFileAt(params: {
  github: GitHub;
  repo: RepoRef;
  path: string;
  ref: string;
}): Promise<Buffer | undefined> {
  try {
    const { data } = await params.github.rest.repos.getContent({
      ...params.repo,
      path: params.path,
      ref: params.ref,
    });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return undefined;
    return Buffer.from(data.content, "base64");
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}
