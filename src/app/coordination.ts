import { randomUUID } from "node:crypto";
import { RedisClient } from "./redis.ts";

/**
 * What replicas of the app agree on through a shared store, so that N of them behind one URL do what
 * one does: a delivery handled once, one worker per pull request at a time, one reconciler at a time,
 * one write throttle for the installation. With no store (one replica) each is a no-op: the process's
 * own work queue and Probot's throttle are the whole story, as before.
 * A store that does not answer fails closed: the work waits (no lease, no GPU), it is never done twice.
 */
export interface Coordination {
  /** Whether this replica takes delivery `id` (false: another replica has it, or finished it lately). */
  claimDelivery(id: string): Promise<boolean>;
  /** Gives a failed delivery back, so that GitHub's redelivery of it runs again. */
  releaseDelivery(id: string): Promise<void>;
  /** Runs `work` while holding `key`'s lease, waiting for it while another replica holds it. */
  withLease<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Runs `work` when no other replica's reconciler runs; returns whether it ran. */
  asLeader(name: string, work: () => Promise<void>): Promise<boolean>;
  /** Waits for this replica's turn to write to GitHub (one write a second for all replicas). */
  writeTurn(): Promise<void>;
  /** Why the store cannot be used now (for /readyz), or undefined. */
  problem(): Promise<string | undefined>;
  readonly shared: boolean;
}

/** The shared store did not answer: the work waits (fail closed) rather than run unguarded. */
export class StoreUnavailable extends Error {}

/** One replica, no store. */
export const alone: Coordination = {
  claimDelivery: async () => true,
  releaseDelivery: async () => undefined,
  withLease: (_key, work) => work(),
  asLeader: async (_name, work) => (await work(), true),
  writeTurn: async () => undefined,
  problem: async () => undefined,
  shared: false,
};

/** A lease lives this long unless its holder renews it (a killed holder's lease frees itself). */
export const LEASE_MS = 30_000;
/** A finished delivery's id is kept this long: a copy that arrives later changes nothing. */
const DELIVERY_KEPT_MS = 3_600_000;
/** GitHub's advice for content-creating requests, shared by every replica (LORAGATE_WRITE_INTERVAL_MS says otherwise). */
export const WRITE_EVERY_MS = 1_000;
/** How often a waiting worker asks for a lease again (light: a few commands a second per waiter). */
const LEASE_POLL_MS = 150;

// Compare-and-set scripts: a holder renews or frees only the lease it holds.
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
const FREE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;
/**
 * A write turn on Redis's own clock (one clock for every replica): granted (0) when the last one was
 * at least ARGV[1] ms ago, else how long until it may be. Granted right before the write goes out, not
 * reserved ahead, so a replica whose timers run late under load never sends next to another's turn.
 */
const WRITE_TURN = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call("GET", KEYS[1]) or "0")
if now - last >= tonumber(ARGV[1]) then
  redis.call("SET", KEYS[1], now, "PX", 60000)
  return 0
end
return last + tonumber(ARGV[1]) - now`;

/** Coordination through Redis at `url` (LORAGATE_REDIS_URL). */
export function redisCoordination(params: {
  url: string;
  /** Told when a lease could not be renewed (the store went away mid-work). */
  onWarning?: (message: string) => void;
  writeEveryMs?: number;
}): Coordination & { close(): void } {
  const client = new RedisClient(params.url);
  const redis = {
    where: client.where,
    command: (...args: (string | number)[]) =>
      client.command(...args).catch((error: Error) => {
        throw new StoreUnavailable(`the replicas' shared store does not answer: ${error.message}`);
      }),
  };
  const prefix = "loragate:";
  const replica = randomUUID();
  const writeEveryMs = params.writeEveryMs ?? WRITE_EVERY_MS;
  const take = async (key: string, token: string, ms: number) =>
    (await redis.command("SET", prefix + key, token, "NX", "PX", ms)) === "OK";
  const hold = async <T>(key: string, token: string, work: () => Promise<T>): Promise<T> => {
    const renew = setInterval(() => {
      redis
        .command("EVAL", RENEW, 1, prefix + key, token, LEASE_MS)
        .catch((error: Error) => params.onWarning?.(`lease ${key} not renewed: ${error.message}`));
    }, LEASE_MS / 3);
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await redis.command("EVAL", FREE, 1, prefix + key, token).catch(() => undefined); // it expires anyway
    }
  };
  return {
    shared: true,
    claimDelivery: async (id) => take(`delivery:${id}`, replica, DELIVERY_KEPT_MS),
    releaseDelivery: async (id) => {
      await redis.command("EVAL", FREE, 1, `${prefix}delivery:${id}`, replica);
    },
    withLease: async (key, work) => {
      const token = randomUUID();
      while (!(await take(`lease:${key}`, token, LEASE_MS)))
        await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
      return hold(`lease:${key}`, token, work);
    },
    asLeader: async (name, work) => {
      const token = randomUUID();
      if (!(await take(`leader:${name}`, token, LEASE_MS))) return false;
      await hold(`leader:${name}`, token, work);
      return true;
    },
    writeTurn: async () => {
      for (;;) {
        const wait = Number(await redis.command("EVAL", WRITE_TURN, 1, `${prefix}writes`, writeEveryMs));
        if (wait <= 0) return;
        // a little spread, so that waiters do not all ask again at the same instant
        await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * 20));
      }
    },
    problem: async () =>
      redis.command("PING").then(
        (reply) => (reply === "PONG" ? undefined : `Redis at ${redis.where} answered ${String(reply)}`),
        (error: Error) => error.message,
      ),
    close: () => client.close(),
  };
}
