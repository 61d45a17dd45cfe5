// `npm start`: Probot's server with Probot's environment (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, ...).
import { type Probot, run } from "probot";
import loragate, { workOf } from "./index.ts";
import { createLogger } from "./logger.ts";
import { LoragateOctokit } from "./octokit.ts";

/** How long a stop waits for work in flight (inside the usual 30 s a process manager gives). */
const SHUTDOWN_GRACE_MS = Number(process.env.LORAGATE_SHUTDOWN_GRACE_MS ?? 25_000);

// Without a secret Probot would accept deliveries signed with its well-known development secret.
const secretProblem = !process.env.WEBHOOK_SECRET
  ? "WEBHOOK_SECRET is not set"
  : process.env.WEBHOOK_SECRET === "development" && process.env.LORAGATE_DEVELOPMENT !== "1"
    ? 'WEBHOOK_SECRET is Probot\'s public development secret ("development"); set LORAGATE_DEVELOPMENT=1 to allow it on a development machine'
    : undefined;
if (secretProblem) {
  console.error(
    `loragate: ${secretProblem}. Set it to the webhook secret of the GitHub App (Settings > Developer settings > GitHub Apps > the app > Webhook secret); the app does not start without it.`,
  );
  process.exit(2);
}
const log = await createLogger();
let app: Probot | undefined;
const server = await run(
  (probot: Probot) => {
    app = probot;
    loragate(probot);
  },
  { Octokit: LoragateOctokit, log },
);

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
      new Promise<boolean>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS, false).unref()),
    ]);
    log.info(finished ? "stopped" : "stopped with work left open: the reconciler picks it up");
    process.exit(0);
  });
