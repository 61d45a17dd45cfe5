import type { Octokit } from "@octokit/rest";

/** What loragate needs of an authenticated client: Probot's context.octokit and @octokit/rest both fit. */
export type GitHub = Pick<Octokit, "rest" | "paginate" | "auth">;

export interface RepoRef {
  owner: string;
  repo: string;
}
