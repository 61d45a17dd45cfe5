import { readFileAt } from "./repo-files.ts";
import type { GitHub, RepoRef } from "./types.ts";

export interface FileChange {
  path: string;
  content: string;
}

/**
 * One commit on a branch from the files `change` derives from the branch's current registry.yaml,
 * with optimistic concurrency: when the branch moved meanwhile (the ref update is not a fast
 * forward), re-read, re-apply and try again. `change` returns undefined when nothing changes
 * (a replayed merge), and then nothing is written.
 */
export async function commitRegistryChange(params: {
  github: GitHub;
  repo: RepoRef;
  branch: string;
  message: string;
  change: (registryText: string) => FileChange[] | undefined;
  attempts?: number;
}): Promise<"committed" | "unchanged"> {
  const { github, repo, branch } = params;
  const attempts = params.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const { data: ref } = await github.rest.git.getRef({ ...repo, ref: `heads/${branch}` });
    const parent = ref.object.sha;
    const registry = await readFileAt({ github, repo, path: "registry.yaml", ref: parent });
    if (!registry) throw new Error(`registry.yaml is not a file on ${branch}`);
    const files = params.change(registry.toString("utf8"));
    if (!files) return "unchanged";
    const { data: commit } = await github.rest.git.getCommit({ ...repo, commit_sha: parent });
    const { data: tree } = await github.rest.git.createTree({
      ...repo,
      base_tree: commit.tree.sha,
      tree: files.map((f) => ({
        path: f.path,
        mode: "100644" as const,
        type: "blob" as const,
        content: f.content,
      })),
    });
    const { data: created } = await github.rest.git.createCommit({
      ...repo,
      message: params.message,
      tree: tree.sha,
      parents: [parent],
    });
    try {
      await github.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: created.sha, force: false });
      return "committed";
    } catch (error) {
      const status = (error as { status?: number }).status;
      // 422: not a fast forward (someone pushed in between); 409: conflict. Both: start over.
      if (status !== 422 && status !== 409) throw error;
      if (attempt >= attempts)
        throw new Error(`${branch} moved during each of ${attempts} attempts to commit on it`, {
          cause: error,
        });
    }
  }
}
