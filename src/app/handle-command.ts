import { type Command, HELP, parseCommand } from "../core/commands.ts";
import { inert } from "../core/evaluation/scorecard.ts";
import { readConfig } from "../github/read-config.ts";
import { listOwnChecks } from "../github/check-runs.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { permitted } from "./permission.ts";
import { BAR_CHECK } from "./report-evaluation.ts";
import { requestEvaluation } from "./request-evaluation.ts";

export interface CommandParams {
  github: GitHub;
  repo: RepoRef;
  pullNumber: number;
  body: string;
  commenter: string;
  defaultBranch: string;
}

/**
 * issue_comment created on a PR:
 * 1. parse `/loragate <command>` (anything else is ignored),
 * 2. check the commenter's repository permission for it,
 * 3. run it against the PR's current head commit, and answer in one comment.
 */
export async function handleCommand(params: CommandParams): Promise<string | undefined> {
  const { github, repo } = params;
  const command = parseCommand(params.body);
  if (!command) return undefined;
  const reply = (text: string) =>
    github.rest.issues.createComment({ ...repo, issue_number: params.pullNumber, body: text });
  if (command.name === "unknown") {
    await reply(`Unknown command \`${inert(command.word, 40)}\`.\n\n${HELP}`);
    return "unknown";
  }
  if (command.name === "approve-proposal") {
    await reply(
      "`/loragate approve-proposal` approves an adapter-proposal issue; comment it there, not on a pull request.",
    );
    return "misplaced";
  }
  if (command.name === "help") {
    await reply(HELP);
    return "help";
  }
  if (!(await permitted({ github, repo, commenter: params.commenter, command: command.name, reply })))
    return "denied";
  const { data: pr } = await github.rest.pulls.get({ ...repo, pull_number: params.pullNumber });
  const outcome = await run(command, params, pr.head.sha, pr.author_association);
  await reply(outcome);
  return command.name;
}

async function run(
  command: Exclude<Command, { name: "help" | "approve-proposal" }>,
  params: CommandParams,
  headSha: string,
  association: string,
): Promise<string> {
  const { github, repo } = params;
  if (command.name === "override") {
    if (command.reason.length < 10)
      return "An override needs a reason of at least 10 characters: `/loragate override <reason>`.";
    const [bar] = await listOwnChecks({ github, repo, ref: headSha, name: BAR_CHECK });
    if (!bar || bar.status !== "completed")
      return `There is no finished \`${BAR_CHECK}\` on ${headSha} to override yet.`;
    await github.rest.checks.update({
      ...repo,
      check_run_id: bar.id,
      conclusion: "success",
      output: {
        title: `Overridden by @${params.commenter}`,
        summary: `${bar.output.summary ?? ""}\n- override by @${params.commenter}: ${inert(command.reason, 500)}`,
        ...(bar.output.text ? { text: bar.output.text } : {}),
      },
    });
    return `\`${BAR_CHECK}\` on ${headSha} now passes by override of @${params.commenter}; the reason is recorded in the check.`;
  }
  const { config } = await readConfig({ github, repo, ref: params.defaultBranch });
  const { data: files } = await github.rest.pulls.listFiles({
    ...repo,
    pull_number: params.pullNumber,
    per_page: 100,
  });
  const adapter = files
    .map((f) => f.filename.split("/"))
    .find((p) => p[0] === "adapters" && p.length > 2)?.[1];
  if (!adapter) return "This pull request changes no adapter: there is nothing to train.";
  const state = await requestEvaluation({
    github,
    repo,
    defaultBranch: params.defaultBranch,
    pullNumber: params.pullNumber,
    headSha,
    adapter,
    authorAssociation: association,
    gpu: config.gpu,
    approved: command.name === "approve",
    again: command.name !== "approve",
  });
  return state === "dispatched"
    ? `Training and evaluation of ${headSha} are queued on the GPU runners.`
    : state === "replay"
      ? `${headSha} was already sent to the GPU runners.`
      : `${headSha} waits for a maintainer's \`/loragate approve\`.`;
}
