import type { GitHub, RepoRef } from "./types.ts";

/** A comment on an issue or pull request. */
export async function reply(github: GitHub, repo: RepoRef, number: number, body: string): Promise<void> {
  await github.rest.issues.createComment({ ...repo, issue_number: number, body });
}

export async function addLabel(github: GitHub, repo: RepoRef, number: number, label: string): Promise<void> {
  await github.rest.issues.addLabels({ ...repo, issue_number: number, labels: [label] });
}

/** Removes a label; one that is not there is not an error. */
export async function removeLabel(
  github: GitHub,
  repo: RepoRef,
  number: number,
  label: string,
): Promise<void> {
  await github.rest.issues.removeLabel({ ...repo, issue_number: number, name: label }).catch((error) => {
    if ((error as { status?: number }).status !== 404) throw error;
  });
}

/** The names of an issue's labels, as webhooks and the REST API give them (strings or objects). */
export const labelNames = (labels: (string | { name?: string })[]): string[] =>
  labels.map((l) => (typeof l === "string" ? l : (l.name ?? "")));

export async function issueLabels(github: GitHub, repo: RepoRef, number: number): Promise<string[]> {
  const { data } = await github.rest.issues.get({ ...repo, issue_number: number });
  return labelNames(data.labels);
}

/** Open issues with a label (GitHub lists pull requests among them: callers skip `pull_request` entries). */
export async function openIssuesLabeled(github: GitHub, repo: RepoRef, label: string) {
  return github.paginate(github.rest.issues.listForRepo, {
    ...repo,
    state: "open",
    labels: label,
    per_page: 100,
  });
}
