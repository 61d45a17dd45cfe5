// `npm start`: Probot's server with Probot's environment (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, ...).
import { run } from "probot";
import loragate from "./index.ts";
import { LoragateOctokit } from "./octokit.ts";

await run(loragate, { Octokit: LoragateOctokit });
