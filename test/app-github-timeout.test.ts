import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { LoragateOctokit } from "../src/app/octokit.ts";
import { scaled } from "./support/load.ts";

// fetch holds the signal it is given weakly: a timeout signal nothing else holds is collected by the
// next garbage collection, and the hung request it was to end is never aborted (issue 26, item 2).
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

describe("a GitHub call that never gets an answer", () => {
  it("is aborted at LORAGATE_GITHUB_TIMEOUT_MS while garbage is collected, with a caller's signal too", async () => {
    server = createServer(() => {}).listen(0, "127.0.0.1"); // accepts, never answers
    await new Promise((resolve) => server!.once("listening", resolve));
    const { port } = server.address() as AddressInfo;
    process.env.LORAGATE_GITHUB_TIMEOUT_MS = "500";
    const churn = setInterval(() => {
      gc();
      Array.from({ length: 100_000 }, (_, i) => ({ i }));
    }, 50);
    try {
      const octokit = new LoragateOctokit({ baseUrl: `http://127.0.0.1:${port}`, retry: { enabled: false } });
      const started = performance.now();
      const outcome = await Promise.race([
        octokit
          .request("PATCH /repos/o/r/check-runs/7", { request: { signal: new AbortController().signal } })
          .then(
            () => "answered",
            (error: Error) => error.message,
          ),
        new Promise((resolve) => setTimeout(resolve, 10_000, "never aborted")),
      ]);
      expect(outcome).toBe("GitHub did not answer within 500 ms");
      expect(performance.now() - started).toBeLessThan(scaled(5_000));
    } finally {
      clearInterval(churn);
      delete process.env.LORAGATE_GITHUB_TIMEOUT_MS;
    }
  });
});
