import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { privateKey } from "./support/app-process.ts";
import { scaled } from "./support/load.ts";

// What README's "Install" says, done as a user does: npm pack in the checkout (dist/ as `npm test` builds
// it), then an install in an empty folder. Dependencies come from the npm registry, or its local cache
// first (--prefer-offline); nothing else is fetched.
const repo = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "loragate-package-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }), 120_000); // node_modules: many files

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: scaled(480_000),
  });

/** `npx ARGS` in `cwd`: its exit code and output. */
function npx(cwd: string, ...args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: run("npx", ["--no-install", ...args], cwd) };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe(
  "installable from the repository: npm pack, then npm install in an empty folder",
  { timeout: scaled(600_000) },
  () => {
    it("npx loragate --help, check, init, the demo and its next commands, and the app's start work from the installed package", async () => {
      const tgz = run(
        "npm",
        ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir],
        repo,
      ).trim();
      const project = join(dir, "project");
      mkdirSync(project);
      run("npm", ["install", join(dir, tgz), "--prefer-offline", "--no-audit", "--no-fund"], project);

      const help = npx(project, "loragate", "--help");
      expect(help.code).toBe(0);
      expect(help.out).toContain("loragate init [DIR]");

      const installed = join(project, "node_modules", "loragate");
      const check = npx(
        project,
        "loragate",
        "check",
        join(installed, "fixtures", "registry"),
        "--adapter",
        "math-gsm8k",
      );
      expect(check).toMatchObject({ code: 0, out: expect.stringContaining("✓ math-gsm8k: 0 errors") });

      expect(npx(project, "loragate", "init", "registry").code).toBe(0);
      expect(npx(project, "loragate", "check", "registry").code).toBe(0);

      // The demo from the installed package (no trainer there: the committed adapters, and it says so),
      // then each of its "Next" commands exactly as it prints them, from the same folder.
      const demo = spawnSync("npx", ["--no-install", "loragate", "demo"], {
        cwd: project,
        encoding: "utf8",
        timeout: 480_000,
        env: { ...process.env, LORAGATE_TRAINER_PYTHON: join(dir, "no-trainer", "python") },
      });
      expect(demo.status, demo.stdout + demo.stderr).toBe(0);
      expect(demo.stderr).toContain("evaluating the adapters train.py made from this data (fixtures/trained");
      const next = demo.stdout
        .split("\n")
        .slice(demo.stdout.split("\n").indexOf("Next, from the folder you ran the demo in:") + 1);
      const commands = next.filter((line) => line.startsWith("  ")).map((line) => line.trim());
      expect(commands.map((c) => c.split(" ").slice(0, 3).join(" "))).toEqual([
        "npx loragate scorecard",
        "npx loragate scorecard",
        "npx loragate eval",
      ]);
      for (const command of commands) {
        const ran = spawnSync("bash", ["-c", command], { cwd: project, encoding: "utf8", timeout: 300_000 });
        expect(ran.status, `${command}\n${ran.stdout}${ran.stderr}`).toBe(0);
      }
      expect(existsSync(join(project, "my-results.json"))).toBe(true);
      rmSync(/The demo's outputs are in (\S+):/.exec(demo.stdout)![1]!, { recursive: true, force: true });

      // The app: first its environment check, then a real start with settings from .env.
      const operator = join(dir, "operator");
      mkdirSync(operator);
      const refused = npx(operator, "--prefix", project, "loragate-app");
      expect(refused.code).toBe(2);
      expect(refused.out).toContain("APP_ID is not set");
      const port = await freePort();
      writeFileSync(join(operator, "app.pem"), privateKey);
      writeFileSync(
        join(operator, ".env"),
        `APP_ID=1\nPRIVATE_KEY_PATH=app.pem\nWEBHOOK_SECRET=s3cret\nPORT=${port}\nHOST=127.0.0.1\n`,
      );
      const app = spawn(join(project, "node_modules", ".bin", "loragate-app"), [], {
        cwd: operator,
        stdio: "ignore",
      });
      try {
        await expect
          .poll(
            () =>
              fetch(`http://127.0.0.1:${port}/ping`).then(
                (r) => r.status,
                () => 0,
              ),
            { timeout: scaled(60_000) },
          )
          .toBe(200);
      } finally {
        app.kill("SIGKILL");
      }
      expect(readFileSync(join(installed, ".env.example"), "utf8")).toContain("WEBHOOK_SECRET=");
    });
  },
);
