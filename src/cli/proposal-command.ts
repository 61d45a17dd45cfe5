import { readFileSync } from "node:fs";
import { listAdapterNames } from "../core/check.ts";
import { loadRegistryContext } from "../core/registry/registry-context.ts";
import {
  adapterCandidates,
  checkProposal,
  describeOverlap,
  OVERLAP_MEANING,
  proposalOverlap,
} from "../core/review/proposal.ts";
import { DEFAULT_CONFIG } from "../core/schemas/config.ts";
import { counted } from "../core/text.ts";
import { FsRegistrySource } from "../io/fs-source.ts";
import { type CliIO, refuse } from "./cli-io.ts";
import { inputFileProblem } from "./input-files.ts";

/** Checks a proposal body offline, as the app does on the issue; exit 0 ready, 1 problems, 2 bad input. */
export async function runProposalCheck(p: { file: string; registry?: string; io: CliIO }): Promise<number> {
  const problem = inputFileProblem(p.file, "proposal", 1 << 20);
  if (problem) return refuse(p.io, problem);
  const source = p.registry ? new FsRegistrySource(p.registry) : undefined;
  const context = source ? await loadRegistryContext(source) : undefined;
  const { proposal, problems } = checkProposal(
    readFileSync(p.file, "utf8"),
    (context?.config ?? DEFAULT_CONFIG).bar.min_train_examples,
  );
  for (const problem of problems)
    p.io.stdout(`${p.file} error ${problem.message} [proposal-${problem.field}]\n  hint: ${problem.hint}\n`);
  if (proposal && source) {
    const manifests: Record<string, string> = {};
    for (const name of await listAdapterNames(source)) {
      const entry = await source.stat(`adapters/${name}/adapter.yaml`);
      if (entry?.kind === "file" && entry.size <= 1 << 20)
        manifests[name] = Buffer.from(await source.read(`adapters/${name}/adapter.yaml`)).toString("utf8");
    }
    const overlaps = proposalOverlap(proposal, adapterCandidates(manifests));
    p.io.stdout(
      overlaps.length
        ? `closest existing adapters (${OVERLAP_MEANING}):\n${overlaps.map((o, i) => `  ${i + 1}. ${o.label}: ${describeOverlap(o)}`).join("\n")}\n`
        : "no overlap with the registry's adapters\n",
    );
  }
  p.io.stdout(
    problems.length === 0 ? "✓ proposal is complete\n" : `✗ ${counted(problems.length, "problem")}\n`,
  );
  return problems.length === 0 ? 0 : 1;
}
