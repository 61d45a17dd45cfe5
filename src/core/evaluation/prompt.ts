/**
 * What the model is asked, one rule for both sides: the trainer (runners/trainer/train.py,
 * conversation_of and prompt_text) renders a training example's user turn by this rule, and the harness
 * asks a benchmark item by it, so an adapter is evaluated on the very token ids it was trained on.
 *
 * - every text is put in Unicode's composed form (NFC): Qwen's tokenizers normalize so, llama.cpp does not,
 *   so a decomposed "café" would otherwise be trained and asked as other token ids;
 * - every system and user text is stripped of ASCII white space at both ends (" \t\n\r\f\v", the same
 *   set on both sides); assistant answers stay as written (composed);
 * - an instruction/input pair is one user turn: the instruction, a blank line, the input (the
 *   instruction alone when the input is empty), each stripped first;
 * - chat turns (a training conversation, a benchmark item's earlier `messages`) keep their roles, system
 *   turn included, and the chat template frames them.
 *
 * With RE2 (re-reading, LocoLLM's default) the question is given twice, which measurably helps small
 * models; whether it was used is recorded in results.json so that runs compare like with like.
 */

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

const promptText = (text: string) => text.normalize("NFC").replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, "");

/** The user turn of an instruction/input pair. */
export function userTurn(item: { instruction: string; input: string }): string {
  const instruction = promptText(item.instruction);
  const input = promptText(item.input);
  return input ? `${instruction}\n\n${input}` : instruction;
}

export function benchmarkPrompt(item: { instruction: string; input: string }, re2: boolean): string {
  const question = userTurn(item);
  return re2 ? `${question}\n\nRead the question again: ${question}` : question;
}

/** The conversation a benchmark item is asked as: its earlier turns, then its question. */
export function benchmarkMessages(
  item: { instruction: string; input: string; messages?: readonly ChatMessage[] },
  re2: boolean,
): ChatMessage[] {
  const earlier = (item.messages ?? []).map((m) =>
    m.role === "assistant"
      ? { role: m.role, content: m.content.normalize("NFC") }
      : { role: m.role, content: promptText(m.content) },
  );
  return [...earlier, { role: "user", content: benchmarkPrompt(item, re2) }];
}

/**
 * The part of a model's answer that is scored: what follows the last end of a think block, leading
 * white space dropped, as lm-evaluation-harness does with its think_end_token.
 */
export function answerAfterThinking(text: string, end: string): string {
  const at = text.lastIndexOf(end);
  return (at < 0 ? text : text.slice(at + end.length)).trimStart();
}
