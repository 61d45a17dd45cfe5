import { type Command, HELP, parseCommand } from "../core/review/commands.ts";
import { inert } from "../core/evaluation/scorecard.ts";
import { missingBasePins, readConfig } from "../github/read-config.ts";
import { completeCheck, listOwnChecks } from "../github/check-runs.ts";
import { createMarkedComment, ownCommentsMarked } from "../github/sticky-comment.ts";
import { changedAdapter, currentPullRequest } from "../github/pulls.ts";
import type { GitHub, RepoRef } from "../github/types.ts";
import { permitted } from "./permission.ts";
import { BAR_CHECK } from "./report-evaluation.ts";
import { VALIDATE_CHECK } from "./validate-pull-request.ts";
import { requestEvaluation } from "./request-evaluation.ts";

export interface CommandParams {
  github: GitHub;
  repo: RepoRef;
  pullNumber: number;
  body: string;
  commenter: string;
  defaultBranch: string;
  /** When the comment was written (issue_comment's created_at): an approval is of the head seen then. */
  commentedAt?: string;
  /** The delivery that carried the command: its answer is marked with it, so a redelivery is not run again. */
  deliveryId: string;
}

/** The hidden first line of the answer to a command's delivery. */
const answerMarker = (deliveryId: string) => `<!-- loragate:command ${deliveryId.replace(/[^\w-]/g, "")} -->`;

/**
 * issue_comment created on a PR:
 * 1. parse `/loragate <command>` (anything else is ignored),
 * 2. check the commenter's repository permission for it,
 * 3. run it against the PR's current head commit, and answer in one comment.
 */
export async function handleCommand(
  params: CommandParams,
): Promise<{ outcome: string; sha?: string } | undefined> {
  const { github, repo } = params;
  const command = parseCommand(params.body);
  if (!command) return undefined;
  const marker = answerMarker(params.deliveryId);
  if ((await ownCommentsMarked(github, repo, params.pullNumber, marker)).length > 0)
    return { outcome: `${command.name}: already answered (a redelivery)` };
  const reply = (text: string) =>
    createMarkedComment({ github, repo, issueNumber: params.pullNumber, marker, body: `${marker}\n${text}` });
  if (command.name === "unknown") {
    await reply(`Unknown command \`${inert(command.word, 40)}\`.\n\n${HELP}`);
    return { outcome: "unknown command" };
  }
  if (command.name === "approve-proposal") {
    await reply(
      "`/loragate approve-proposal` approves an adapter-proposal issue; comment it there, not on a pull request.",
    );
    return { outcome: "approve-proposal on a pull request: misplaced" };
  }
  if (command.name === "help") {
    await reply(HELP);
    return { outcome: "help" };
  }
  if (!(await permitted({ github, repo, commenter: params.commenter, command: command.name, reply })))
    return { outcome: `${command.name}: denied` };
  const pr = await currentPullRequest(github, repo, params.pullNumber);
  const refusal = command.name === "approve" ? await approvalRefusal(command, params, pr.headSha) : undefined;
  const [answer, outcome] = refusal
    ? [refusal, "approve: refused"]
    : await run(command, params, pr.headSha, pr.authorAssociation);
  await reply(answer);
  return { outcome, sha: pr.headSha };
}

/**
 * Why an approval does not apply to the current head, if it does not: it names another commit, the
 * head moved after the comment was written (its validation started later), or the head did not
 * validate. A maintainer approves what they looked at, never a commit pushed after.
 */
async function approvalRefusal(
  command: { sha?: string },
  params: CommandParams,
  headSha: string,
): Promise<string | undefined> {
  const again = `look at it and comment \`/loragate approve ${headSha.slice(0, 12)}\``;
  if (command.sha && !headSha.startsWith(command.sha))
    return `This approval names ${command.sha}, but the pull request's head is ${headSha}: ${again}.`;
  const [validation] = await listOwnChecks({ ...params, ref: headSha, name: VALIDATE_CHECK });
  if (!validation || validation.status !== "completed")
    return `${headSha} has not finished validation; approve it once \`${VALIDATE_CHECK}\` passed.`;
  if (validation.conclusion !== "success")
    return `${headSha} did not pass validation (${validation.conclusion}); there is nothing to approve until a push fixes it.`;
  const moved =
    !command.sha &&
    params.commentedAt !== undefined &&
    validation.started_at !== null &&
    Date.parse(validation.started_at) > Date.parse(params.commentedAt);
  return moved
    ? `The pull request moved to ${headSha} after this approval was written: ${again}.`
    : undefined;
}

async function run(
  command: Exclude<Command, { name: "help" | "approve-proposal" }>,
  params: CommandParams,
  headSha: string,
  association: string,
): Promise<[answer: string, outcome: string]> {
  const { github, repo } = params;
  if (command.name === "override") {
    if (command.reason.length < 10)
      return [
        "An override needs a reason of at least 10 characters: `/loragate override <reason>`.",
        "override: refused, no reason",
      ];
    const [bar] = await listOwnChecks({ github, repo, ref: headSha, name: BAR_CHECK });
    if (!bar || bar.status !== "completed")
      return [
        `There is no finished \`${BAR_CHECK}\` on ${headSha} to override yet.`,
        "override: nothing to override",
      ];
    await completeCheck({
      github,
      repo,
      checkRunId: bar.id,
      conclusion: "success",
      output: {
        title: `Overridden by @${params.commenter}`,
        summary: `${bar.output.summary ?? ""}\n- override by @${params.commenter}: ${inert(command.reason, 500)}`,
        ...(bar.output.text ? { text: bar.output.text } : {}), // the merge record
        findings: [],
      },
    });
    return [
      `\`${BAR_CHECK}\` on ${headSha} now passes by override of @${params.commenter}; the reason is recorded in the check.`,
      "override: bar overridden",
    ];
  }
  const { config } = await readConfig({ github, repo, ref: params.defaultBranch });
  const adapter = await changedAdapter(github, repo, params.pullNumber);
  if (!adapter)
    return [
      "This pull request changes no adapter: there is nothing to train.",
      `${command.name}: no adapter`,
    ];
  const unpinned = await missingBasePins({ github, repo, ref: params.defaultBranch });
  if (unpinned.length > 0)
    return [
      `Nothing was sent to the GPU runners: registry.yaml does not pin ${unpinned.join(", ")} yet. A maintainer pins the base there first.`,
      `${command.name}: base not pinned`,
    ];
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
  const answers = {
    dispatched: `Training and evaluation of ${headSha} are queued on the GPU runners.`,
    replay: `${headSha} was already sent to the GPU runners.`,
    "needs-approval": `${headSha} waits for a maintainer's \`/loragate approve\`.`,
    "dispatch-failed": `GitHub refused to start the evaluation of ${headSha}: the \`loragate/evaluate\` check says why.`,
  };
  return [answers[state], `${command.name}: evaluation ${state}`];
}
