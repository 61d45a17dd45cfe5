/**
 * The GitHub App's registration from app.yml by GitHub's manifest flow: app.yml's permissions and events
 * as they are, with the three things that differ per operator (the App's name, which is unique across
 * GitHub; its webhook URL; where GitHub sends the one-time code), and the page that posts it to GitHub.
 */
import { parse } from "yaml";

/** Where the app answers GitHub (Probot's default WEBHOOK_PATH). */
export const WEBHOOK_PATH = "/api/github/webhooks";

export interface ManifestRequest {
  /** app.yml's text. */
  appYml: string;
  name: string;
  webhookUrl: string;
  /** The organization that will own the App; the operator's own account when absent. */
  org?: string;
}

/** What is wrong with the request, in one line, or undefined. */
export function manifestProblem(r: Omit<ManifestRequest, "appYml">): string | undefined {
  // GitHub's rule for App names: at most 34 characters; it refuses a name already taken when you create it.
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,33}$/.test(r.name))
    return `--name ${JSON.stringify(r.name)}: 1 to 34 letters, digits, spaces, dots, dashes or underscores, unique across GitHub (e.g. loragate-my-org)`;
  let url: URL;
  try {
    url = new URL(r.webhookUrl);
  } catch {
    return `--webhook-url ${JSON.stringify(r.webhookUrl)} is not a URL: give https://YOUR-HOST${WEBHOOK_PATH}`;
  }
  if (url.protocol !== "https:")
    return `--webhook-url must be https (GitHub sends secrets there): ${r.webhookUrl}`;
  if (url.pathname !== WEBHOOK_PATH)
    return `--webhook-url must end in ${WEBHOOK_PATH}, where the app answers: https://${url.host}${WEBHOOK_PATH}`;
  if (r.org !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(r.org))
    return `--org ${JSON.stringify(r.org)} is not a GitHub organization name`;
  return undefined;
}

/** app.yml as the manifest JSON GitHub takes: its permissions and events unchanged. */
export function appManifest(r: ManifestRequest): Record<string, unknown> {
  const app = parse(r.appYml) as Record<string, unknown>;
  const origin = new URL(r.webhookUrl).origin;
  return {
    ...app,
    name: r.name,
    url: origin,
    hook_attributes: { ...(app.hook_attributes as object), url: r.webhookUrl, active: true },
    // GitHub sends the browser here with ?code=...: the page need not load, the code is in the address bar
    redirect_url: `${origin}/`,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A page with one button that posts the manifest to GitHub's "new GitHub App" form. */
export function manifestPage(r: ManifestRequest): string {
  const action = r.org
    ? `https://github.com/organizations/${r.org}/settings/apps/new`
    : "https://github.com/settings/apps/new";
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Register ${escapeHtml(r.name)} (loragate)</title>
<p>Registers the GitHub App <b>${escapeHtml(r.name)}</b> from loragate's app.yml (its permissions and events),
with webhook URL ${escapeHtml(r.webhookUrl)}${r.org ? `, owned by the organization ${escapeHtml(r.org)}` : ""}.
GitHub shows the settings before it creates the App.</p>
<form action="${escapeHtml(action)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(appManifest(r)))}">
<button type="submit">Register on GitHub</button>
</form>
</html>
`;
}
