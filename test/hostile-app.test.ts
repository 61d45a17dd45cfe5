import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { routeOf } from "../src/app/metrics.ts";
import {
  type AppProcess,
  SECRET,
  startApp,
  startGitHub,
  stopStarted,
  warningsIn,
} from "./support/app-process.ts";
import { scaled } from "./support/load.ts";

// What a stranger who reaches the webhook URL can send the app as a process, with no secret (issue 35).
let app: AppProcess | undefined;
afterEach(stopStarted);

const MB = Buffer.alloc(1 << 20, 0x20);
const chunk = (bytes: Buffer) =>
  Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);

/**
 * A chunked, unsigned delivery on a raw connection: `mb` MB, then (unless `open`) the end after
 * `pauseMs`. Resolves with all the app answered on that connection (the connection stays open when
 * `open`: it resolves with the answer's head, or "" when none came in `waitMs`).
 */
function post(
  port: number,
  mb: number,
  { pauseMs = 0, open = false, waitMs = 30_000 } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const finish = () => {
      socket.destroy();
      resolve(received);
    };
    let ended = false;
    /** The answer is whole (by its content-length) and, unless `open`, the body was sent to its end. */
    const whole = () => {
      const head = received.indexOf("\r\n\r\n");
      if (head < 0) return false;
      const length = Number(/^content-length: *(\d+)/im.exec(received.slice(0, head))?.[1] ?? 0);
      return received.length >= head + 4 + length && (open || ended);
    };
    socket.on("data", (c: Buffer) => {
      received += c.toString();
      if (whole()) finish();
    });
    socket.on("error", () => undefined); // writing into a connection the app closed
    socket.on("close", finish);
    setTimeout(finish, waitMs);
    socket.write(
      [
        "POST /api/github/webhooks HTTP/1.1",
        "host: 127.0.0.1",
        "content-type: application/json",
        "x-github-event: push",
        "x-github-delivery: 1",
        "x-hub-signature-256: sha256=00",
        "transfer-encoding: chunked",
        "",
        "",
      ].join("\r\n"),
    );
    let sent = 0;
    const more = () => {
      while (sent < mb && !socket.destroyed) {
        sent++;
        if (!socket.write(chunk(MB))) return void socket.once("drain", more);
      }
      if (!open && !socket.destroyed)
        setTimeout(() => {
          socket.write("0\r\n\r\n", () => setTimeout(() => ((ended = true), whole() && finish()), 100));
        }, pauseMs);
    };
    more();
  });
}

const healthz = (port: number) =>
  fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) }).then(
    async (r) => `${r.status} ${await r.text()}`,
    (e: Error) => `no answer: ${e.message}`,
  );

describe("a stranger's deliveries never take the app down", { timeout: 300_000 }, () => {
  it("100 unsigned chunked deliveries over 25 MB in a row, ended or paused past Probot's 9 s timer: one 413 each, and the app lives", async () => {
    const stub = await startGitHub(() => undefined);
    app = await startApp({}, stub.port);
    // A sender that pauses after the cap: Probot's 9 s "still processing" timer would answer a second time.
    // The 100 others are sent while it pauses.
    const paused = post(app.port, 26, { pauseMs: 10_000 });
    for (let i = 0; i < 100; i++) {
      const answer = await post(app.port, 26);
      expect(answer.match(/HTTP\/1\.1 \d+/g), `delivery ${i + 1}`).toEqual(["HTTP/1.1 413"]);
    }
    expect((await paused).match(/^HTTP\/1\.1 /gm)).toEqual(["HTTP/1.1 "]);
    expect(await paused).toMatch(/^HTTP\/1\.1 413 /);
    expect(await healthz(app.port)).toBe("200 ok\n");
    expect(app.child.exitCode).toBeNull();
    expect(app.log()).not.toMatch(/ERR_HTTP_HEADERS_SENT/);
  });

  it("bodies held before their signature is checked are bounded: past 16 at once, or 64 MB together, 503; then the app serves again", async () => {
    const stub = await startGitHub(() => undefined);
    app = await startApp({}, stub.port);
    // 16 senders that send a little and wait: the 17th is told to come back later.
    // (each watched for an answer for 4 s, scaled to the load: long past the 17th's refusal)
    const held = Array.from({ length: 16 }, () => post(app!.port, 1, { open: true, waitMs: scaled(4_000) }));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await post(app.port, 1, { open: true, waitMs: 5_000 })).toMatch(/^HTTP\/1\.1 503 /);
    expect(await Promise.all(held)).toEqual(Array(16).fill("")); // none of them answered yet
    // Three bodies of 24 MB each, none ended: the one that passes 64 MB in all is refused.
    await new Promise((resolve) => setTimeout(resolve, 500)); // the 16 connections are gone
    const big = await Promise.all(
      Array.from({ length: 3 }, () => post(app!.port, 24, { open: true, waitMs: scaled(4_000) })),
    );
    expect(big.filter((a) => /^HTTP\/1\.1 503 /.test(a))).toHaveLength(1);
    expect(big.filter((a) => a === "")).toHaveLength(2);
    expect(await healthz(app.port)).toBe("200 ok\n");
    // Once those are gone, a delivery is read and checked again (400: its signature is wrong).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await post(app.port, 1)).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("signed deliveries that are no JSON, or whose payload a handler cannot read: one log line each, no stack (item 14)", async () => {
    const stub = await startGitHub(() => undefined);
    app = await startApp({}, stub.port);
    const signed = async (event: string, body: string) => {
      const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
      const response = await fetch(`http://127.0.0.1:${app!.port}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": event,
          "x-github-delivery": `d-${event}`,
          "x-hub-signature-256": signature,
        },
        body,
      });
      return response.status;
    };
    const before = app.log().length;
    expect(await signed("push", "{not json")).toBe(400);
    expect(await signed("pull_request", '{"action":"opened"}')).toBe(500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logged = app.log().slice(before);
    expect(warningsIn(logged)).toEqual([
      "refused a signed delivery: Invalid JSON",
      expect.stringMatching(/^delivery d-pull_request \(pull_request\) could not be handled: \S/),
    ]);
    expect(logged).not.toMatch(/\n\s+at |\\n\s+at /);
  });

  it("a metric's route label takes values from a bounded set: not one series per commenter's login (item 13)", () => {
    const api = "https://api.github.com/repos/o/r";
    const logins = Array.from({ length: 100 }, (_, i) => `user-${i}`);
    const routes = new Set(logins.map((login) => routeOf(`${api}/collaborators/${login}/permission`)));
    expect([...routes]).toEqual(["/repos/{owner}/{repo}/collaborators/{name}/permission"]);
    expect(routeOf(`${api}/issues/12/labels/${encodeURIComponent("any label")}`)).toBe(
      "/repos/{owner}/{repo}/issues/{id}/labels/{name}",
    );
    expect(routeOf(`${api}/actions/workflows/loragate.yml/dispatches`)).toBe(
      "/repos/{owner}/{repo}/actions/workflows/loragate.yml/dispatches",
    );
    expect(routeOf(`${api}/commits/${"a".repeat(40)}/check-runs?check_name=x`)).toBe(
      "/repos/{owner}/{repo}/commits/{sha}/check-runs",
    );
  });
});
