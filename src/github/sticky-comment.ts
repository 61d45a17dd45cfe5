import type { GitHub, RepoRef } from "./types.ts";

/**
 * One comment per topic on a PR, found by its hidden marker among the app's own comments (all pages):
 * created once, updated in place, and not written at all when its body is unchanged.
 */
export async function upsertStickyComment(params: {
  github: GitHub;
  repo: RepoRef;
  issueNumber: number;
  marker: string;
  body: string;
}): Promise<"created" | "updated" | "unchanged"> {
  const { github, repo, issueNumber, marker, body } = params;
  const comments = await github.paginate(github.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  // Only the app's own comment counts: anyone can paste the marker into theirs.
  const mine = comments.find(
    (c) => c.user?.type === "Bot" && c.performed_via_github_app && c.body?.startsWith(marker),
  );
  if (!mine) {
    await github.rest.issues.createComment({ ...repo, issue_number: issueNumber, body });
    return "created";
  }
  if (mine.body === body) return "unchanged";
  await github.rest.issues.updateComment({ ...repo, comment_id: mine.id, body });
  return "updated";
}
