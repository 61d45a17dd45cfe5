import { afterEach, describe, expect, it } from "vitest";
import { type AppProcess, deliver, startApp } from "./support/app-process.ts";
import { pullRequestPayload } from "./support/github.ts";

let app: AppProcess | undefined;
afterEach(async () => {
  app?.child.kill("SIGKILL");
  await app?.exited;
  app = undefined;
});

describe("the app as a process, as operators run it", () => {
  it("does not start without WEBHOOK_SECRET, and says which variable and where to find it", async () => {
    app = await startApp({ WEBHOOK_SECRET: undefined });
    expect(await app.exited).toBe(2);
    expect(app.log()).toMatch(/WEBHOOK_SECRET is not set.*Webhook secret/);
  });

  it("a delivery with a bad signature: 400, one warning line, none of its payload in the log", async () => {
    app = await startApp({});
    const before = app.log().length;
    const payload = { ...pullRequestPayload("opened"), marker: "PAYLOAD-MARKER-".repeat(500) };
    const { status } = await deliver(app, "pull_request", payload, "not-the-secret");
    expect(status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logged = app.log().slice(before);
    const lines = logged
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([
      "refused a delivery whose signature does not match WEBHOOK_SECRET",
    ]);
    expect(logged).not.toContain("PAYLOAD-MARKER");
    expect(logged.length).toBeLessThan(1000);
  });
});
