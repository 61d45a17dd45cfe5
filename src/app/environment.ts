import {
  HIDDEN_PINS_FORMAT,
  HIDDEN_PINS_PATTERN,
  HIDDEN_PINS_VARIABLE,
} from "../core/evaluation/hidden-pins.ts";
import { createPrivateKey } from "node:crypto";
import { readFileSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { getPrivateKey } from "@probot/get-private-key";
import { z } from "zod";

const APP_SETTINGS = "Settings > Developer settings > GitHub Apps > the app";

/** Node's timers fire at once past this (a reconciler every millisecond, not every few weeks). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Digits only: "abc", "1.5" and "" are refused, where Number() would read NaN or 0 and change what happens. */
const wholeNumber = (what: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, `must be ${what}`)
    .transform(Number)
    .pipe(
      z.number().min(min, `must be ${what}, at least ${min}`).max(max, `must be ${what}, at most ${max}`),
    );

/**
 * The environment `npm start` reads, checked before Probot starts (README: The GitHub App). Values are
 * never echoed: two of them are secrets.
 */
const AppEnvironmentSchema = z
  .object({
    APP_ID: z
      .string({ error: `is not set: the GitHub App's id (${APP_SETTINGS} > App ID)` })
      .regex(/^\d+$/, `must be the GitHub App's id, a number (${APP_SETTINGS} > App ID)`),
    WEBHOOK_SECRET: z
      .string({
        error: `is not set: the webhook secret of the GitHub App (${APP_SETTINGS} > Webhook secret)`,
      })
      .min(1, `is empty: set it to the webhook secret of the GitHub App (${APP_SETTINGS} > Webhook secret)`),
    LORAGATE_DEVELOPMENT: z.string().optional(),
    PORT: wholeNumber("a TCP port", 0, 65_535).optional(),
    LOG_LEVEL: z
      .enum(["trace", "debug", "info", "warn", "error", "fatal"], {
        error: "must be trace, debug, info, warn, error or fatal",
      })
      .optional(),
    LOG_FORMAT: z.enum(["json", "pretty"], { error: "must be json or pretty" }).optional(),
    LORAGATE_RECONCILE_MINUTES: wholeNumber(
      "a whole number of minutes (0: at start only)",
      0,
      Math.floor(MAX_TIMER_MS / 60_000),
    ).optional(),
    LORAGATE_GITHUB_TIMEOUT_MS: wholeNumber("a whole number of milliseconds", 1, MAX_TIMER_MS).optional(),
    LORAGATE_SHUTDOWN_GRACE_MS: wholeNumber("a whole number of milliseconds", 0, MAX_TIMER_MS).optional(),
    [HIDDEN_PINS_VARIABLE]: z.string().regex(HIDDEN_PINS_PATTERN, HIDDEN_PINS_FORMAT).optional(),
    LORAGATE_RETRY_SECONDS: wholeNumber(
      "a whole number of seconds",
      1,
      Math.floor(MAX_TIMER_MS / 1000),
    ).optional(),
    LORAGATE_WRITE_INTERVAL_MS: wholeNumber("a whole number of milliseconds", 0, 60_000).optional(),
    LORAGATE_REDIS_URL: z
      .string()
      .regex(
        /^redis:\/\/(?:[^@/\s]*@)?[^:/\s]+(?::\d+)?(?:\/\d+)?$/,
        "must be redis://[:password@]host[:port][/db], the Redis every replica shares",
      )
      .optional(),
    // Probot reads REDIS_URL itself and then fetches ioredis with npx at start (a download, on a server).
    REDIS_URL: z
      .undefined({
        error:
          "is Probot's own setting, which downloads a Redis client at start: set LORAGATE_REDIS_URL instead",
      })
      .optional(),
  })
  // Probot's well-known development secret would accept deliveries signed by anyone who read its docs.
  .refine((env) => env.WEBHOOK_SECRET !== "development" || env.LORAGATE_DEVELOPMENT === "1", {
    when: () => true, // said with the other variables' problems, not after they are fixed
    path: ["WEBHOOK_SECRET"],
    message: `is Probot's public development secret ("development"); set LORAGATE_DEVELOPMENT=1 to allow it on a development machine`,
  });

type AppEnvironment = z.infer<typeof AppEnvironmentSchema>;

/**
 * The App's private key found as Probot finds it (PRIVATE_KEY, PRIVATE_KEY_PATH, or the one .pem file in
 * the working folder), and read as a key. Probot only logs a key it cannot find or read, then starts in its
 * setup mode, which waits for a browser and calls smee.io: on a server, a process that never works.
 */
function privateKeyProblem(env: NodeJS.ProcessEnv): string | undefined {
  const pathProblem = !env.PRIVATE_KEY && env.PRIVATE_KEY_PATH && keyFileProblem(env.PRIVATE_KEY_PATH);
  if (pathProblem) return `PRIVATE_KEY_PATH ${pathProblem}`;
  let pem: string | null;
  try {
    pem = getPrivateKey({ env });
  } catch (error) {
    return (error as Error).message.replace(/^\[@probot\/get-private-key\] /, "");
  }
  if (!pem)
    return `PRIVATE_KEY is not set, nor PRIVATE_KEY_PATH: the GitHub App's private key, the .pem file's contents (${APP_SETTINGS} > Private keys)`;
  try {
    createPrivateKey(pem);
  } catch {
    return `the private key (${env.PRIVATE_KEY ? "PRIVATE_KEY" : env.PRIVATE_KEY_PATH ? "PRIVATE_KEY_PATH" : "the .pem file here"}) does not read as a PEM private key: give the .pem file GitHub made for the App`;
  }
  return undefined;
}

/** A .pem file is a few KB; anything past this is not a private key. */
const MAX_KEY_FILE_BYTES = 64 << 10;

/**
 * Why a key path cannot be read as a key file, looked at before it is read: a FIFO would hang the
 * start and /dev/zero would be read until memory runs out.
 */
function keyFileProblem(path: string): string | undefined {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    return `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of the .pem file GitHub made for the App`;
  }
  if (!stats.isFile())
    return `is not a regular file (${stats.isFIFO() ? "a FIFO" : stats.isDirectory() ? "a folder" : "a device or socket"}): give the path of the .pem file GitHub made for the App`;
  if (stats.size > MAX_KEY_FILE_BYTES)
    return `is ${stats.size} bytes, more than a private key (${MAX_KEY_FILE_BYTES} at most): give the path of the .pem file GitHub made for the App`;
  return undefined;
}

/** The checked environment, or one line per variable that is wrong (the app does not start then). */
export function readAppEnvironment(
  env: NodeJS.ProcessEnv,
): { environment: AppEnvironment } | { problems: string[] } {
  const parsed = AppEnvironmentSchema.safeParse(env);
  const keyProblem = privateKeyProblem(env);
  if (parsed.success && !keyProblem) return { environment: parsed.data };
  return {
    problems: [
      ...(parsed.error?.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`) ?? []),
      ...(keyProblem ? [keyProblem] : []),
    ],
  };
}

/**
 * The working folder's `.env` applied to `env` as Probot applies it when it starts (its values win over
 * the environment's), so that the check below judges what Probot will run with. No file is no change;
 * a `.env` that cannot be read is a problem of its own.
 */
export function applyDotEnv(env: NodeJS.ProcessEnv, dir = process.cwd()): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, ".env"), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? undefined : `.env in ${dir} cannot be read (${code})`;
  }
  Object.assign(env, parseEnv(text));
  return undefined;
}
