// `npm start`: Probot's server with Probot's environment (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, ...).
import { type Probot, run } from "probot";
import loragate, { workOf } from "./index.ts";
import { applyDotEnv, readAppEnvironment } from "./environment.ts";
import { createLogger } from "./logger.ts";
import { LoragateOctokit, paceWrites, shareWrites } from "./octokit.ts";
import { redisCoordination } from "./coordination.ts";
import { refuseLargeBodies } from "./body-limit.ts";
import { logRefusedDeliveries } from "./webhook-refusals.ts";

/** How long a stop waits for work in flight (inside the usual 30 s a process manager gives). */
const DEFAULT_SHUTDOWN_GRACE_MS = 25_000;

const dotEnvProblem = applyDotEnv(process.env);
const checked = readAppEnvironment(process.env);
if (dotEnvProblem || "problems" in checked) {
  const problems = [dotEnvProblem ?? [], "problems" in checked ? checked.problems : []].flat();
  console.error(
    `loragate: the app does not start; fix its environment:\n${problems.map((p) => `  ${p}`).join("\n")}`,
  );
  process.exit(2);
}
const log = await createLogger();
// Replicas share a store (LORAGATE_REDIS_URL) and its write pacing; one replica needs none, and paces its own.
const redisUrl = checked.environment.LORAGATE_REDIS_URL;
const writeEveryMs = checked.environment.LORAGATE_WRITE_INTERVAL_MS;
const coordination = redisUrl
  ? redisCoordination({ url: redisUrl, onWarning: (message) => log.warn(message), writeEveryMs })
  : undefined;
if (coordination) shareWrites(coordination.writeTurn);
else if (writeEveryMs !== undefined) paceWrites(writeEveryMs);
let app: Probot | undefined;
let server: Awaited<ReturnType<typeof run>>;
try {
  server = await run(
    (probot: Probot, options) => {
      app = probot;
      refuseLargeBodies(probot);
      logRefusedDeliveries(probot, log);
      loragate(probot, { ...options, coordination });
    },
    { Octokit: LoragateOctokit, log },
  );
} catch (error) {
  // A private key Probot cannot read, a port in use: one line, and an exit a process manager sees (the
  // logger's thread would keep the process alive).
  console.error(`loragate: the app did not start: ${(error as Error).message}`);
  process.exit(2);
}
const shutdownGraceMs = checked.environment.LORAGATE_SHUTDOWN_GRACE_MS ?? DEFAULT_SHUTDOWN_GRACE_MS;

// Probot's own SIGINT handler exits at once. Stop taking deliveries, let the work in flight finish
// (what a hard stop cuts short, the reconciler finds again), then exit.
process.removeAllListeners("SIGINT");
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, async () => {
    const work = workOf(app!)!;
    log.info(`${signal}: taking no more deliveries; finishing ${work.size} piece(s) of work in flight`);
    await server.stop();
    const finished = await Promise.race([
      work.idle().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(resolve, shutdownGraceMs, false).unref()),
    ]);
    log.info(finished ? "stopped" : "stopped with work left open: the reconciler picks it up");
    process.exit(0);
  });
