import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A real redis-server (Debian's package) of the test's own on 127.0.0.1 (on `port`, or a free one), nothing kept on disk. */
export async function startRedis(port?: number): Promise<{
  url: string;
  port: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}> {
  port ??= await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.on("error", (error) =>
      reject(
        new Error(
          `redis-server could not start (${error.message}): install Debian's redis-server (apt-get install redis-server)`,
        ),
      ),
    );
    child.on("exit", (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk;
      if (out.includes("Ready to accept connections")) resolve();
    });
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    child,
    stop: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
