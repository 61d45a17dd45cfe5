// `npm start`: Probot's server with Probot's environment (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, ...).
import { run } from "probot";
import loragate from "./index.ts";
import { createLogger } from "./logger.ts";
import { LoragateOctokit } from "./octokit.ts";

// Without a secret Probot would accept deliveries signed with its well-known development secret.
if (!process.env.WEBHOOK_SECRET) {
  console.error(
    "loragate: WEBHOOK_SECRET is not set. Set it to the webhook secret of the GitHub App (Settings > Developer settings > GitHub Apps > the app > Webhook secret); the app does not start without it.",
  );
  process.exit(2);
}
await run(loragate, { Octokit: LoragateOctokit, log: await createLogger() });
