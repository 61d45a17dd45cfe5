/**
 * The forms a training line may take, read as one conversation: instruction/input/output (Alpaca),
 * OpenAI `messages` [{role, content}], and ShareGPT `conversations` [{from, value}] or [{role, content}].
 * No zod here: contamination workers read lines with this alone and must start fast.
 */

export type Role = "system" | "user" | "assistant";
export interface Turn {
  role: Role;
  content: string;
}

export type TrainingForm = "instruction" | "messages" | "sharegpt";

export const FORM_NAMES: Record<TrainingForm, string> = {
  instruction: "instruction/input/output",
  messages: 'OpenAI "messages"',
  sharegpt: 'ShareGPT "conversations"',
};

/** Role names as the field writes them; ShareGPT's human/gpt included. */
const ROLES: Record<string, Role> = {
  system: "system",
  user: "user",
  human: "user",
  assistant: "assistant",
  gpt: "assistant",
};
const KNOWN_ROLES = "system, user, assistant (ShareGPT: human, gpt)";

/** The form of a file's first record and its line: every later line must share it (mixed-forms). */
export interface FirstForm {
  form: TrainingForm;
  line: number;
}

/** Which form a JSON object is written in, by its keys. */
export function trainingFormOf(record: object): TrainingForm {
  if (Object.hasOwn(record, "messages")) return "messages";
  if (Object.hasOwn(record, "conversations")) return "sharegpt";
  return "instruction";
}

/** The list of turns a chat record holds, under the key of its form. */
export const turnsKey = (form: Exclude<TrainingForm, "instruction">) =>
  form === "messages" ? "messages" : "conversations";

/**
 * A turn's role and text: ShareGPT's pair (from, value) when it has `from`, else (role, content). One
 * rule for validation, contamination and the trainer (train.py's turn_fields), so a stray key beside
 * the other pair never becomes the text that one of them reads and another does not.
 */
const turnFields = <T>(entry: Record<string, T>): [T | undefined, T | undefined] =>
  "from" in entry ? [entry.from, entry.value] : [entry.role, entry.content];

export interface TurnProblem {
  /** Path inside the record, e.g. "messages.2.role". */
  field: string;
  rule: string;
  message: string;
  hint: string;
}

/**
 * The turns of a chat record whose shape is already known good (each turn a role and a text), or
 * the first thing that makes it untrainable: an unknown role, an empty answer, a wrong order.
 */
export function chatTurns(
  form: Exclude<TrainingForm, "instruction">,
  raw: readonly Record<string, string>[],
): { turns: Turn[] } | { problem: TurnProblem } {
  const key = turnsKey(form);
  const turns: Turn[] = [];
  for (const [i, entry] of raw.entries()) {
    const roleKey = "from" in entry ? "from" : "role";
    const [name, content] = turnFields(entry) as [string, string];
    const role = Object.hasOwn(ROLES, name) ? ROLES[name] : undefined;
    if (role === undefined)
      return {
        problem: {
          field: `${key}.${i}.${roleKey}`,
          rule: "chat-unknown-role",
          message: `turn ${i + 1} has role ${JSON.stringify(name.slice(0, 40))}`,
          hint: `use one of ${KNOWN_ROLES}; tool calls are not trained on`,
        },
      };
    turns.push({ role, content });
  }
  const order = roleOrderProblem(turns);
  if (order) return { problem: { ...order, field: order.turn === undefined ? key : `${key}.${order.turn}` } };
  const empty = turns.findIndex((t) => t.role !== "system" && t.content.trim() === "");
  if (empty >= 0)
    return {
      problem: {
        field: `${key}.${empty}`,
        rule: "chat-empty-turn",
        message: `turn ${empty + 1} (${turns[empty]!.role}) is empty`,
        hint:
          turns[empty]!.role === "assistant"
            ? "write the answer the adapter should learn, or drop the turn pair"
            : "write what the user asks, or drop the turn pair",
      },
    };
  return { turns };
}

/** An optional system turn first, then user and assistant in turn, ending with the assistant. */
function roleOrderProblem(turns: Turn[]): (Omit<TurnProblem, "field"> & { turn?: number }) | undefined {
  const hint =
    "order the turns: an optional system turn, then user and assistant alternating, ending with assistant";
  if (turns.length === 0) return { rule: "chat-role-order", message: "the conversation has no turns", hint };
  const start = turns[0]!.role === "system" ? 1 : 0;
  for (let i = start; i < turns.length; i++) {
    const expected: Role = (i - start) % 2 === 0 ? "user" : "assistant";
    if (turns[i]!.role !== expected)
      return {
        turn: i,
        rule: "chat-role-order",
        message: `turn ${i + 1} is ${turns[i]!.role} where ${expected} is expected${turns[i]!.role === "system" ? " (a system turn only comes first)" : ""}`,
        hint,
      };
  }
  if (turns.at(-1)!.role !== "assistant")
    return {
      turn: turns.length - 1,
      rule: "chat-role-order",
      message: "the last turn is the user's: there is no answer to train on",
      hint,
    };
  return undefined;
}

export interface TrainingText {
  instruction: string;
  input: string;
  output: string;
}

/**
 * The texts of a training line of any form, as contamination and duplicate detection compare them:
 * for a conversation, the system prompt is the instruction, the user turns the input and the
 * assistant turns the output. Undefined when the line has not got them (validation says why).
 */
export function trainingTextOf(value: unknown): TrainingText | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const form = trainingFormOf(value);
  if (form === "instruction") {
    const { instruction, input, output } = value as Record<string, unknown>;
    return typeof instruction === "string" && typeof input === "string" && typeof output === "string"
      ? { instruction, input, output }
      : undefined;
  }
  const raw = (value as Record<string, unknown>)[turnsKey(form)];
  if (!Array.isArray(raw)) return undefined;
  const texts: Record<Role, string[]> = { system: [], user: [], assistant: [] };
  for (const entry of raw) {
    if (entry === null || typeof entry !== "object") return undefined;
    const [name, content] = turnFields(entry as Record<string, unknown>);
    if (typeof name !== "string" || typeof content !== "string" || !Object.hasOwn(ROLES, name))
      return undefined;
    texts[ROLES[name]!].push(content);
  }
  return {
    instruction: texts.system.join("\n\n"),
    input: texts.user.join("\n\n"),
    output: texts.assistant.join("\n\n"),
  };
}
