/**
 * The user turn a benchmark item becomes: its instruction, then its input when there is one. With
 * RE2 (re-reading, LocoLLM's default) the question is given twice, which measurably helps small
 * models; whether it was used is recorded in results.json so that runs compare like with like.
 */
export function benchmarkPrompt(item: { instruction: string; input: string }, re2: boolean): string {
  const instruction = item.instruction.trim();
  const input = item.input.trim();
  const question = input ? `${instruction}\n\n${input}` : instruction;
  return re2 ? `${question}\n\nRead the question again: ${question}` : question;
}
