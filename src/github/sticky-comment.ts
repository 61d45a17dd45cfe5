import { ownAppId } from "./check-runs.ts";
import type { GitHub, RepoRef } from "./types.ts";
import { createOnce, NO_BLIND_RETRY } from "./write-once.ts";

export interface StickyComment {
  github: GitHub;
  repo: RepoRef;
  issueNumber: number;
  marker: string;
  body: string;
}

/** Upserts in flight, by PR and marker: the tail of each queue. */
const inFlight = new Map<string, Promise<unknown>>();

/**
 * One comment per topic on a PR, found by its hidden marker among the app's own comments (all pages):
 * created once, updated in place, and not written at all when its body is unchanged.
 * Two webhooks for one PR arrive close together (a push and a check suite, a redelivery), and both
 * would find no comment and create one: so upserts for one PR and marker run one after the other, in
 * the order they were asked for, and the latest body is the one that stays.
 */
export function upsertStickyComment(params: StickyComment): Promise<"created" | "updated" | "unchanged"> {
  const key = `${params.repo.owner}/${params.repo.repo}#${params.issueNumber} ${params.marker}`;
  const run = (inFlight.get(key) ?? Promise.resolve())
    .catch(() => undefined) // an earlier upsert's failure is its caller's, not this one's
    .then(() => upsertNow(params));
  inFlight.set(key, run);
  const forget = () => {
    if (inFlight.get(key) === run) inFlight.delete(key);
  };
  run.then(forget, forget);
  return run;
}

/** This app's own comments on an issue or PR that start with `marker`, oldest first (all pages). */
export async function ownCommentsMarked(github: GitHub, repo: RepoRef, issueNumber: number, marker: string) {
  const comments = await github.paginate(github.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  // Only this app's own comments count: anyone, another app included, can paste the marker.
  const appId = await ownAppId(github);
  return comments
    .filter(
      (c) =>
        c.user?.type === "Bot" &&
        c.performed_via_github_app &&
        (appId === undefined || c.performed_via_github_app.id === appId) &&
        c.body?.startsWith(marker),
    )
    .sort((a, b) => a.id - b.id);
}

/** A new comment starting with `marker`, written once even when GitHub's answer to it is lost. */
export async function createMarkedComment(params: StickyComment): Promise<void> {
  const { github, repo, issueNumber, marker } = params;
  await createOnce<unknown>({
    create: () =>
      github.rest.issues.createComment({
        ...repo,
        issue_number: issueNumber,
        body: params.body,
        ...NO_BLIND_RETRY,
      }),
    find: async () => (await ownCommentsMarked(github, repo, issueNumber, marker))[0],
  });
}

async function upsertNow(params: StickyComment): Promise<"created" | "updated" | "unchanged"> {
  const { github, repo, issueNumber, marker, body } = params;
  const [mine, ...extra] = await ownCommentsMarked(github, repo, issueNumber, marker);
  // More than one: two instances of this app raced (the queue above is per process); the oldest stays.
  for (const comment of extra)
    if (comment.performed_via_github_app?.id === mine!.performed_via_github_app?.id)
      await github.rest.issues.deleteComment({ ...repo, comment_id: comment.id });
  if (!mine) {
    await createMarkedComment(params);
    return "created";
  }
  if (mine.body === body) return "unchanged";
  await github.rest.issues.updateComment({ ...repo, comment_id: mine.id, body });
  return "updated";
}
