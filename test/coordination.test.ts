import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisCoordination, StoreUnavailable } from "../src/app/coordination.ts";
import { readAppEnvironment } from "../src/app/environment.ts";
import { parseReply } from "../src/app/redis.ts";
import { privateKey } from "./support/app-process.ts";
import { startRedis } from "./support/redis-server.ts";

// Issue 38 item 3: what replicas agree on through a real redis-server, one piece at a time.
let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis.stop());

const twoReplicas = () => [0, 1].map(() => redisCoordination({ url: redis.url, writeEveryMs: 200 }));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("replicas' coordination on Redis", () => {
  it("a delivery is claimed by one replica; given back after a failure, it can be claimed again", async () => {
    const [a, b] = twoReplicas() as [
      ReturnType<typeof redisCoordination>,
      ReturnType<typeof redisCoordination>,
    ];
    const claims = await Promise.all([a.claimDelivery("d-1:review"), b.claimDelivery("d-1:review")]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    await (claims[0] ? b : a).releaseDelivery("d-1:review"); // not the holder's: nothing given back
    expect(await b.claimDelivery("d-1:review")).toBe(false);
    await (claims[0] ? a : b).releaseDelivery("d-1:review");
    expect(await b.claimDelivery("d-1:review")).toBe(true);
    for (const c of [a, b]) c.close();
  });

  it("one worker per key at a time across replicas, one leader at a time", async () => {
    const [a, b] = twoReplicas() as [
      ReturnType<typeof redisCoordination>,
      ReturnType<typeof redisCoordination>,
    ];
    const running: string[] = [];
    let overlap = false;
    const work = (who: string) => async () => {
      if (running.length > 0) overlap = true;
      running.push(who);
      await sleep(150);
      running.pop();
      return who;
    };
    expect(await Promise.all([a.withLease("o/r#1", work("a")), b.withLease("o/r#1", work("b"))])).toEqual([
      "a",
      "b",
    ]);
    expect(overlap).toBe(false);
    const led = await Promise.all([
      a.asLeader("reconciler", () => sleep(100)),
      b.asLeader("reconciler", () => sleep(100)),
    ]);
    expect(led.filter(Boolean)).toHaveLength(1);
    expect(await b.asLeader("reconciler", async () => undefined)).toBe(true); // freed when the pass ended
    for (const c of [a, b]) c.close();
  });

  it("writes of all replicas take turns at least the interval apart", async () => {
    const [a, b] = twoReplicas() as [
      ReturnType<typeof redisCoordination>,
      ReturnType<typeof redisCoordination>,
    ];
    const granted: number[] = [];
    await Promise.all([a, b, a, b, a].map(async (c) => (await c.writeTurn(), granted.push(Date.now()))));
    granted.sort((x, y) => x - y);
    const gaps = granted.slice(1).map((t, i) => t - granted[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(190); // 200 ms on Redis's clock, a ms of rounding
    for (const c of [a, b]) c.close();
  });

  it("a store that does not answer fails closed: StoreUnavailable, and readiness says where", async () => {
    const gone = redisCoordination({ url: "redis://127.0.0.1:1" });
    await expect(gone.claimDelivery("d-2")).rejects.toBeInstanceOf(StoreUnavailable);
    await expect(gone.withLease("o/r#2", async () => "ran")).rejects.toThrow(
      /shared store does not answer: Redis at 127\.0\.0\.1:1/,
    );
    expect(await gone.problem()).toMatch(
      /^the replicas' shared store does not answer: Redis at 127\.0\.0\.1:1/,
    );
    gone.close();
  });

  it("reads Redis's replies whole, and waits for a reply split across reads", () => {
    const reply = Buffer.from("*3\r\n$3\r\nfoo\r\n:42\r\n$-1\r\n+OK\r\n");
    expect(parseReply(reply, 0)).toEqual({ value: ["foo", 42, null], end: 23 });
    expect(parseReply(reply, 23)).toEqual({ value: "OK", end: reply.length });
    for (let cut = 0; cut < 23; cut++) expect(parseReply(reply.subarray(0, cut), 0)).toBeUndefined();
    expect(parseReply(Buffer.from("-ERR wrong\r\n"), 0)).toMatchObject({ error: "ERR wrong" });
    expect(() => parseReply(Buffer.from("?x\r\n"), 0)).toThrow(/not Redis's protocol/);
  });

  it("the environment: LORAGATE_REDIS_URL checked, Probot's REDIS_URL refused with the variable to use", () => {
    const env = { APP_ID: "1", WEBHOOK_SECRET: "s", PRIVATE_KEY: privateKey };
    expect(readAppEnvironment({ ...env, LORAGATE_REDIS_URL: "redis://:pw@cache:6380/2" })).toHaveProperty(
      "environment",
    );
    expect(
      readAppEnvironment({ ...env, LORAGATE_REDIS_URL: "http://cache", REDIS_URL: "redis://cache" }),
    ).toEqual({
      problems: [
        "LORAGATE_REDIS_URL must be redis://[:password@]host[:port][/db], the Redis every replica shares",
        "REDIS_URL is Probot's own setting, which downloads a Redis client at start: set LORAGATE_REDIS_URL instead",
      ],
    });
  });
});
