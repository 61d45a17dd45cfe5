/** `/loragate ...` commands in PR comments: parsing and who may run them. */

export type Command =
  | { name: "help" }
  | { name: "retrain" }
  | { name: "evaluate" }
  | { name: "approve"; sha?: string }
  | { name: "approve-proposal" }
  | { name: "override"; reason: string };

/** Repository permission levels, weakest first (GitHub's collaborator permission API). */
const LEVELS = ["none", "read", "triage", "write", "maintain", "admin"] as const;
export type Permission = (typeof LEVELS)[number];

/** The least permission each command needs: overriding the bar is for maintainers only. */
const REQUIRED: Record<Command["name"], Permission> = {
  help: "none",
  retrain: "write",
  evaluate: "write",
  approve: "write",
  "approve-proposal": "write",
  override: "maintain",
};

export const HELP = [
  "loragate commands (in a comment on the pull request):",
  "",
  "- `/loragate help`: this list",
  "- `/loragate retrain`: train and evaluate the head commit again (write access)",
  "- `/loragate evaluate`: the same, for an evaluation that failed for infrastructure reasons (write access)",
  "- `/loragate approve [sha]`: let the head commit you looked at (the head when you commented, or the one named) use the GPU runners, for first-time and outside contributors, once it validated (write access)",
  "- `/loragate override <reason>`: pass the bar anyway; the reason is recorded in the checks (maintain or admin)",
  "- `/loragate approve-proposal` (on an adapter-proposal issue): approve the proposal (write access)",
].join("\n");

/** The command in a comment's first line, or undefined when the comment is not one. */
export function parseCommand(body: string): Command | { name: "unknown"; word: string } | undefined {
  const first = body.trimStart().split(/\r?\n/, 1)[0]!.trim();
  const match = /^\/loragate(?:\s+(\S+))?(?:\s+(.*))?$/.exec(first);
  if (!match) return undefined;
  const word = (match[1] ?? "help").toLowerCase();
  if (word === "override") return { name: "override", reason: (match[2] ?? "").trim().slice(0, 500) };
  if (word === "approve") {
    const sha = /^[0-9a-f]{7,40}$/i.exec((match[2] ?? "").trim())?.[0]?.toLowerCase();
    return sha ? { name: "approve", sha } : { name: "approve" };
  }
  const simple = ["help", "retrain", "evaluate", "approve-proposal"] as const;
  const known = simple.find((name) => name === word);
  if (known) return { name: known };
  return { name: "unknown", word: word.slice(0, 40) };
}

export const isPermission = (name: string): name is Permission =>
  (LEVELS as readonly string[]).includes(name);

export function allows(permission: string, command: Command["name"]): boolean {
  const have = LEVELS.indexOf(permission as Permission);
  return have >= LEVELS.indexOf(REQUIRED[command]);
}
