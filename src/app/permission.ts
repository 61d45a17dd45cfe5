import { allows, type Command, isPermission } from "../core/review/commands.ts";
import { repositoryAccess } from "../github/access.ts";
import type { GitHub, RepoRef } from "../github/types.ts";

/**
 * Whether the commenter's repository permission allows the command; when not, says so in a reply
 * (the same words for every command and for the Retrain button).
 */
export async function permitted(params: {
  github: GitHub;
  repo: RepoRef;
  commenter: string;
  command: Command["name"];
  reply: (text: string) => Promise<unknown>;
}): Promise<boolean> {
  const { roleName, permission } = await repositoryAccess(params.github, params.repo, params.commenter);
  // role_name names maintain and triage, which the legacy `permission` reports as write and read; a
  // custom role falls back to the base permission it extends.
  const role = roleName && isPermission(roleName) ? roleName : permission;
  if (allows(role, params.command)) return true;
  const needs = params.command === "override" ? "maintain or admin" : "write";
  await params.reply(
    `\`/loragate ${params.command}\` needs ${needs} access to this repository; it was not run.`,
  );
  return false;
}
