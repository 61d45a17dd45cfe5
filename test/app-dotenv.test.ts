import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scaled } from "./support/load.ts";

const repo = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "loragate-dotenv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
writeFileSync(join(dir, "app.pem"), privateKey);

/** `npm start`'s entry run in `dir` (where an operator keeps .env), with only PATH from the environment. */
function start(env: Record<string, string> = {}) {
  return spawnSync(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), join(repo, "src/app/main.ts")],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, ...env },
      encoding: "utf8",
      timeout: scaled(60_000),
    },
  );
}

describe("npm start reads .env before its environment check, as Probot does", () => {
  it("takes the App's settings from .env: only what .env lacks or gets wrong is named", () => {
    writeFileSync(join(dir, ".env"), `PRIVATE_KEY_PATH=app.pem\nWEBHOOK_SECRET=s3cret\nAPP_ID=12ab\n`);
    const r = start();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("APP_ID must be the GitHub App's id, a number");
    expect(r.stderr).not.toMatch(/WEBHOOK_SECRET|PRIVATE_KEY/);
  });

  it("a value in .env wins over the environment's (Probot applies .env over it)", () => {
    writeFileSync(join(dir, ".env"), `LOG_LEVEL=loud\n`);
    const r = start({ LOG_LEVEL: "info" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("LOG_LEVEL must be trace, debug, info, warn, error or fatal");
  });
});

describe("the repository's settings files", () => {
  it(".env.example names every variable the app reads, and .gitignore keeps .env out", () => {
    const example = readFileSync(join(repo, ".env.example"), "utf8");
    const read = new Set<string>();
    for (const folder of ["src/app", "src/github"])
      for (const file of readdirSync(join(repo, folder))) {
        const text = readFileSync(join(repo, folder, file), "utf8");
        // env.NAME where a variable is read, NAME: where the environment's schema lists it
        for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|^ {4}([A-Z][A-Z0-9_]+): (?:z|wholeNumber)/gm))
          read.add((m[1] ?? m[2])!);
      }
    expect(read.size).toBeGreaterThan(8);
    for (const name of read) expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, "m"));
    expect(readFileSync(join(repo, ".gitignore"), "utf8").split("\n")).toContain(".env");
  });

  it("no compiled Python is tracked", () => {
    const tracked = spawnSync("git", ["ls-files", "*.pyc", "**/__pycache__/**"], {
      cwd: repo,
      encoding: "utf8",
    });
    expect(tracked.status).toBe(0);
    expect(tracked.stdout).toBe("");
  });
});
