/**
 * The two ways docs/operator-guide.md deploys the app, checked as far as a machine without a container
 * engine allows: the Dockerfile's image as a file list (its build context through .dockerignore, its
 * runtime stage's node_modules as `npm prune` with the Dockerfile's flags leaves them, from the lockfile),
 * the app started from those files alone; and deploy/loragate.service through `systemd-analyze verify`.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { privateKey } from "./support/app-process.ts";

const repo = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "loragate-deploy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Instruction {
  op: string;
  args: string;
}
/** The Dockerfile's stages: instructions with continuation lines joined, comments dropped. */
function stages(text: string): { name?: string; instructions: Instruction[] }[] {
  const out: { name?: string; instructions: Instruction[] }[] = [];
  for (const line of text.replace(/\\\n/g, " ").split("\n")) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(line.trim());
    if (!m || line.trim().startsWith("#")) continue;
    const [, op, args] = m as unknown as [string, string, string];
    if (op === "FROM") out.push({ name: / AS (\S+)$/i.exec(args)?.[1], instructions: [] });
    out.at(-1)!.instructions.push({ op, args });
  }
  return out;
}
const [build, runtime] = stages(readFileSync(join(repo, "Dockerfile"), "utf8")) as [
  ReturnType<typeof stages>[0],
  ReturnType<typeof stages>[0],
];

/** .dockerignore's rule: a pattern (root-relative, `*` within a name) excludes a path or any folder above it. */
const ignorePatterns = readFileSync(join(repo, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))
  .map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/|$)`));
const ignored = (path: string) => ignorePatterns.some((p) => p.test(path));

/** `COPY [--from=X] SRC... DEST` split into its parts. */
function copies(stage: ReturnType<typeof stages>[0]) {
  return stage.instructions
    .filter((i) => i.op === "COPY")
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = /^--from=(\S+)$/.exec(words[0]!)?.[1];
      const paths = from ? words.slice(1) : words;
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

/** The packages `npm prune` keeps with these --omit flags, by their node_modules path (from the lockfile). */
function prunedPackages(omit: Set<string>): string[] {
  const lock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path]) => path.startsWith("node_modules/"))
    .filter(([, p]) => !(omit.has("dev") && p.dev) && !(omit.has("optional") && p.optional))
    .filter(([, p]) => !(omit.has("dev") && omit.has("optional") && p.devOptional))
    .map(([path]) => path);
}

const omitted = new Set(
  [
    ...(build.instructions.find((i) => i.op === "RUN" && i.args.includes("npm prune"))?.args ?? "").matchAll(
      /--omit=(\w+)/g,
    ),
  ].map((m) => m[1]!),
);
const kept = prunedPackages(omitted);
const topLevel = kept.filter((path) => path.split("node_modules/").length === 2);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const duBytes = (paths: string[]) =>
  paths.reduce(
    (sum, path) =>
      sum + Number(execFileSync("du", ["-sbL", join(repo, path)], { encoding: "utf8" }).split("\t")[0]),
    0,
  );

describe("the app's Docker image, as a file list", { timeout: 180_000 }, () => {
  it("copies into the build only what the build context holds after .dockerignore", () => {
    for (const { from, sources } of copies(build))
      for (const source of sources) {
        expect(from).toBeUndefined();
        expect(ignored(source), `${source} is .dockerignore'd`).toBe(false);
        expect(existsSync(join(repo, source)), source).toBe(true);
      }
    for (const secret of [".env", "app.pem", "node_modules/x", "dist/app/main.js", ".git/config"])
      expect(ignored(secret), secret).toBe(true);
  });

  it("keeps no llama.cpp binaries: the runtime's node_modules hold no optional or dev package", () => {
    expect(omitted).toEqual(new Set(["dev", "optional"]));
    expect(kept.filter((p) => p.includes("@node-llama-cpp/"))).toEqual([]);
    expect(kept).toContain("node_modules/probot");
    const all = prunedPackages(new Set(["dev"])).filter((p) => p.split("node_modules/").length === 2);
    // printed for the record: the runtime's modules against what --omit=dev alone would keep
    console.log(
      `runtime node_modules: ${(duBytes(topLevel.filter((p) => existsSync(join(repo, p)))) / 1e6).toFixed(0)} MB of ${(duBytes(all.filter((p) => existsSync(join(repo, p)))) / 1e6).toFixed(0)} MB (--omit=dev alone)`,
    );
  });

  it("the app starts from the runtime stage's files alone, with its ENV and CMD, and answers", async () => {
    const image = join(dir, "app");
    mkdirSync(join(image, "node_modules"), { recursive: true });
    for (const { from, sources, dest } of copies(runtime))
      for (const source of sources) {
        const local = from ? source.replace(/^\/src\//, "") : source;
        // `COPY SRC ./` keeps the source's name; `COPY SRC ./NAME` names the target
        const target = join(image, dest.endsWith("/") ? local.split("/").at(-1)! : dest);
        if (local === "node_modules")
          // each package the prune keeps, linked (the app resolves through the links: --preserve-symlinks)
          for (const path of topLevel.filter((p) => existsSync(join(repo, p)))) {
            mkdirSync(dirname(join(image, path)), { recursive: true });
            symlinkSync(join(repo, path), join(image, path));
          }
        else if (statSync(join(repo, local)).isDirectory())
          cpSync(join(repo, local), target, { recursive: true });
        else copyFileSync(join(repo, local), target);
      }
    const env = Object.fromEntries(
      runtime.instructions
        .filter((i) => i.op === "ENV")
        .flatMap((i) => i.args.split(/\s+/).map((kv) => kv.split("=") as [string, string])),
    );
    const cmd = JSON.parse(runtime.instructions.find((i) => i.op === "CMD")!.args) as string[];
    expect(cmd[0]).toBe("node");
    const port = await freePort();
    let log = "";
    const app = spawn(process.execPath, ["--preserve-symlinks", ...cmd.slice(1)], {
      cwd: image,
      env: {
        PATH: process.env.PATH,
        ...env,
        HOST: "127.0.0.1",
        PORT: String(port),
        APP_ID: "1",
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET: "s3cret",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    app.stdout.on("data", (c: Buffer) => (log += c));
    app.stderr.on("data", (c: Buffer) => (log += c));
    try {
      await expect
        .poll(
          () =>
            fetch(`http://127.0.0.1:${port}/healthz`).then(
              (r) => r.status,
              () => (app.exitCode === null ? 0 : -1),
            ),
          { timeout: 60_000, interval: 200 },
        )
        .toBe(200);
    } finally {
      app.kill("SIGKILL");
    }
    expect(log).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
  });
});

const systemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
describe.skipIf(!systemdAnalyze && !process.env.LORAGATE_REQUIRE_SYSTEMD)("deploy/loragate.service", () => {
  /** `systemd-analyze verify` of `unit` under a root that holds the system's units and the app's command. */
  function verify(unit: string): { status: number | null; out: string } {
    const root = mkdtempSync(join(dir, "root-"));
    cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true });
    const exec = /^ExecStart=(\S+)/m.exec(unit)![1]!;
    mkdirSync(join(root, dirname(exec)), { recursive: true });
    writeFileSync(join(root, exec), "#!/bin/sh\n");
    chmodSync(join(root, exec), 0o755);
    mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
    writeFileSync(join(root, "etc/systemd/system/loragate.service"), unit);
    const r = spawnSync(
      "systemd-analyze",
      ["verify", `--root=${root}`, "/etc/systemd/system/loragate.service"],
      {
        encoding: "utf8",
      },
    );
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }
  const unit = readFileSync(join(repo, "deploy", "loragate.service"), "utf8");

  it("verifies with no warning (systemd-analyze verify)", () => {
    expect(verify(unit)).toEqual({ status: 0, out: "" });
  });

  it("a wrong line would be named: the check can fail", () => {
    const r = verify(unit.replace("Type=simple", "Type=simpel"));
    expect(r.out).toContain("Failed to parse service type");
  });
});

it("deploy/loragate.service ships in the package (npm pack's file list)", () => {
  const files = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repo, encoding: "utf8" }),
  )[0].files.map((f: { path: string }) => f.path);
  expect(files).toContain("deploy/loragate.service");
}, 60_000);

it("one Node.js version everywhere: engines as Probot asks, and README, the guide and the images say it", () => {
  const engines = (path: string) =>
    (JSON.parse(readFileSync(join(repo, path), "utf8")) as { engines: { node: string } }).engines.node;
  expect(engines("package.json")).toBe(engines("node_modules/probot/package.json"));
  const minimum = /^\^(\d+\.\d+\.\d+)/.exec(engines("package.json"))![1]!;
  for (const doc of ["README.md", "docs/operator-guide.md"])
    expect(readFileSync(join(repo, doc), "utf8"), doc).toContain(`Node.js ${minimum} or later`);
  // the images and the site workflow take the newest Node 20, which the range holds
  expect(readFileSync(join(repo, "Dockerfile"), "utf8")).toMatch(/^FROM node:20-/m);
  expect(readFileSync(join(repo, "templates", "workflows", "loragate-site.yml"), "utf8")).toMatch(
    /node-version: 20$/m,
  );
});
