import type { GitHub, RepoRef } from "./types.ts";

/**
 * A user's access to a repository: the role's name (admin, maintain, write, triage, read, or a custom
 * role's) and the legacy permission (admin, write, read, none), as GitHub gives them.
 */
export async function repositoryAccess(
  github: GitHub,
  repo: RepoRef,
  username: string,
): Promise<{ roleName?: string; permission: string }> {
  const { data } = await github.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
  return { roleName: data.role_name, permission: data.permission };
}

/** The repositories an installation's client may act on, with their default branches. */
export async function installationRepositories(
  github: GitHub,
): Promise<{ repo: RepoRef; defaultBranch: string }[]> {
  const repos = await github.paginate(github.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
  return repos.map((r) => ({
    repo: { owner: r.owner.login, repo: r.name },
    defaultBranch: r.default_branch,
  }));
}

/** The app's installations (the client authenticated as the app itself). */
export async function appInstallationIds(appClient: GitHub): Promise<number[]> {
  const installations = await appClient.paginate(appClient.rest.apps.listInstallations, { per_page: 100 });
  return installations.map((i) => i.id);
}
