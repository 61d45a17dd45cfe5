/**
 * Registering the GitHub App from app.yml by GitHub's manifest flow (docs/operator-guide.md, step 2): the
 * page `loragate app-manifest` writes posts exactly app.yml's permissions and events, under the operator's
 * name and webhook URL, to GitHub's "new GitHub App" form.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./support/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "loragate-app-manifest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const appYml = parse(readFileSync(join(import.meta.dirname, "..", "app.yml"), "utf8"));

/** The manifest JSON and form action in a written page, read back as a browser would submit them. */
function submitted(page: string): { action: string; manifest: Record<string, unknown> } {
  const unescape = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  const action = unescape(/<form action="([^"]*)" method="post">/.exec(page)![1]!);
  const manifest = JSON.parse(unescape(/name="manifest" value="([^"]*)"/.exec(page)![1]!));
  return { action, manifest };
}

describe("loragate app-manifest", () => {
  it("writes a page posting app.yml's permissions and events under the operator's name and URL", async () => {
    const out = join(dir, "register-app.html");
    const r = await cli(
      "app-manifest",
      "--name",
      "loragate-acme",
      "--webhook-url",
      "https://gate.acme.example/api/github/webhooks",
      "--out",
      out,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("https://api.github.com/app-manifests/CODE/conversions");
    const { action, manifest } = submitted(readFileSync(out, "utf8"));
    expect(action).toBe("https://github.com/settings/apps/new");
    expect(manifest).toMatchObject({
      name: "loragate-acme",
      url: "https://gate.acme.example",
      hook_attributes: { url: "https://gate.acme.example/api/github/webhooks" },
      redirect_url: "https://gate.acme.example/",
      public: false,
    });
    expect(manifest.default_permissions).toEqual(appYml.default_permissions);
    expect(manifest.default_events).toEqual(appYml.default_events);
    // written once: a second run never replaces the page
    expect(
      (
        await cli(
          "app-manifest",
          "--name",
          "x1",
          "--webhook-url",
          "https://h.example/api/github/webhooks",
          "--out",
          out,
        )
      ).code,
    ).toBe(2);
  });

  it("for an organization, posts to the organization's form", async () => {
    const out = join(dir, "org.html");
    const url = "https://gate.acme.example/api/github/webhooks";
    expect(
      (await cli("app-manifest", "--name", "acme gate", "--webhook-url", url, "--org", "acme", "--out", out))
        .code,
    ).toBe(0);
    expect(submitted(readFileSync(out, "utf8")).action).toBe(
      "https://github.com/organizations/acme/settings/apps/new",
    );
  });

  it.each([
    [["--name", "loragate"], "app-manifest needs --webhook-url URL"],
    [["--name", "a".repeat(35), "--webhook-url", "https://h.example/api/github/webhooks"], "1 to 34 letters"],
    [["--name", "ok", "--webhook-url", "http://h.example/api/github/webhooks"], "must be https"],
    [["--name", "ok", "--webhook-url", "https://h.example/hooks"], "must end in /api/github/webhooks"],
    [
      ["--name", "ok", "--webhook-url", "https://h.example/api/github/webhooks", "--org", "bad_org"],
      "not a GitHub organization",
    ],
  ])("refuses %j with one line and exit 2", async (argv, message) => {
    const r = await cli("app-manifest", ...argv, "--out", join(dir, "never.html"));
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toContain(message);
  });

  it("a name with markup characters is refused, so none reaches the page", async () => {
    const out = join(dir, "escaped.html");
    const r = await cli(
      "app-manifest",
      "--name",
      'a"b<c',
      "--webhook-url",
      "https://h.example/api/github/webhooks",
      "--out",
      out,
    );
    expect(r.code).toBe(2); // < and " are not allowed in App names
  });
});
