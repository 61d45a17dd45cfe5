import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export const SECRET = "process-test-secret";
export const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

/** What startApp and startGitHub started and stopStarted has not stopped yet. */
const started = { apps: new Set<AppProcess>(), servers: new Set<Server>() };

/**
 * Kills every app process startApp started and closes every GitHub stand-in startGitHub started (their
 * open connections too), waiting for the processes to exit: `afterEach(stopStarted)` in a test file.
 */
export async function stopStarted(): Promise<void> {
  const apps = [...started.apps];
  started.apps.clear();
  for (const app of apps) app.child.kill("SIGKILL");
  await Promise.all(apps.map((app) => app.exited));
  for (const server of started.servers) {
    server.closeAllConnections();
    server.close();
  }
  started.servers.clear();
}

/** A free TCP port on 127.0.0.1 (Probot reads PORT=0 as 3000). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * An answer of the stand-in: JSON or bytes (of `contentType`), after `delayMs`; or none: `lost` closes
 * the connection instead of answering (GitHub acted, the answer never came), `hang` never answers.
 */
export type Route = (
  req: IncomingMessage,
  body: string,
) =>
  | {
      status: number;
      json?: unknown;
      bytes?: Buffer;
      contentType?: string;
      headers?: Record<string, string>;
      delayMs?: number;
      lost?: boolean;
      hang?: boolean;
    }
  | undefined;

/** GitHub's API as a local server on 127.0.0.1: the network edge of the app, answered by `route`. */
export async function startGitHub(route: Route): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      const path = (req.url ?? "").replace(/^\/api\/v3/, "");
      seen.push(`${req.method} ${path}`);
      const answer =
        route(Object.assign(req, { url: path }), body) ??
        // the reconciler's first call at start: an app installed nowhere, unless the route says otherwise
        (req.method === "GET" && path.split("?")[0] === "/app/installations"
          ? { status: 200, json: [] }
          : { status: 404, json: { message: "Not Found" } });
      if (answer.hang) return;
      setTimeout(() => {
        if (answer.lost) return void res.socket?.destroy();
        res.writeHead(answer.status, {
          "content-type": answer.contentType ?? (answer.bytes ? "application/zip" : "application/json"),
          ...answer.headers,
        });
        res.end(answer.bytes ?? (answer.json === undefined ? "" : JSON.stringify(answer.json)));
      }, answer.delayMs ?? 0);
    });
  }).listen(0, "127.0.0.1");
  started.servers.add(server);
  await new Promise((resolve) => server.once("listening", resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

export interface AppProcess {
  child: ChildProcess;
  port: number;
  /** Everything the app logged so far. */
  log: () => string;
  exited: Promise<number | null>;
}

/**
 * `npm start` as an operator runs it (the app's main module), pointed at a stand-in GitHub; in `cwd` (where
 * an operator keeps .env) when given.
 */
export async function startApp(
  env: Record<string, string | undefined>,
  githubPort?: number,
  cwd?: string,
): Promise<AppProcess> {
  const port = await freePort();
  let log = "";
  const main = join(import.meta.dirname, "..", "..", "src", "app", "main.ts");
  const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), main], {
    cwd,
    env: {
      PATH: process.env.PATH,
      APP_ID: "1",
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: SECRET,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_FORMAT: "json",
      // writes 50 ms apart, not GitHub's second: the stand-in has no rate limit to respect, and a test's
      // few PRs would otherwise wait seconds for their turns (benchmarks measured against that pace unset it)
      LORAGATE_WRITE_INTERVAL_MS: "50",
      ...(githubPort ? { GHE_HOST: `127.0.0.1:${githubPort}`, GHE_PROTOCOL: "http" } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (c: Buffer) => (log += c));
  child.stderr!.on("data", (c: Buffer) => (log += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const app = { child, port, log: () => log, exited };
  started.apps.add(app);
  // Ready when Probot's /ping answers (whatever LOG_LEVEL says), or gone when the process exits.
  let running = true;
  void exited.then(() => (running = false));
  while (
    running &&
    !(await fetch(`http://127.0.0.1:${port}/ping`).then(
      (r) => r.ok,
      () => false,
    ))
  )
    await new Promise((resolve) => setTimeout(resolve, 50));
  return app;
}

/** The messages of the warnings and errors (level 40 and up) in a stretch of the app's JSON log. */
export const warningsIn = (logged: string): string[] =>
  logged
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => l.level >= 40)
    .map((l) => l.msg);

/** A webhook delivery signed as GitHub signs it; resolves with the status and the time to the answer. */
export async function deliver(
  app: AppProcess,
  event: string,
  payload: unknown,
  secret = SECRET,
  deliveryId = `d-${Math.random().toString(36).slice(2)}`,
): Promise<{ status: number; ms: number }> {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${app.port}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": signature,
    },
    body,
  });
  await response.text();
  return { status: response.status, ms: performance.now() - started };
}

/**
 * GitHub for pull requests that change no adapter (validation ends neutral): enough for the app's
 * answer and queueing to be measured. `onCompleted` sees each check completion; `createDelayMs` slows
 * the check's creation.
 */
export function noAdapterChangeRoute(onCompleted: () => void, createDelayMs = 0): Route {
  return (req) => {
    const at = `${req.method} ${req.url!.split("?")[0]!.replace(/^\/repos\/Codertocat\/Hello-World/, "")}`;
    if (at === "POST /app/installations/1/access_tokens") return { status: 201, json: { token: "t" } };
    if (/^GET \/commits\/\w+\/check-runs$/.test(at))
      return { status: 200, json: { total_count: 0, check_runs: [] } };
    if (at === "POST /check-runs") return { status: 201, json: { id: 7 }, delayMs: createDelayMs };
    if (/^GET \/pulls\/\d+\/files$/.test(at))
      return { status: 200, json: [{ filename: "README.md", status: "modified" }] };
    if (at.startsWith("GET /git/trees/"))
      return { status: 200, json: { sha: "x", truncated: false, tree: [] } };
    if (at === "PATCH /check-runs/7") {
      onCompleted();
      return { status: 200, json: { id: 7 } };
    }
    return undefined;
  };
}
