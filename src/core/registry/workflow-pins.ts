/**
 * The workflows `loragate init` writes pin the loragate release they run by placeholders: the action's
 * commit (loragate.yml) and the site's tarball sha256 (loragate-site.yml). Until the operator sets them,
 * the evaluation cannot start and the site cannot build: `check` says so, at the line to edit.
 */
import type { Finding } from "../findings/findings.ts";
import type { RegistrySource } from "./source.ts";

export const EVALUATE_WORKFLOW = ".github/workflows/loragate.yml";
export const SITE_WORKFLOW = ".github/workflows/loragate-site.yml";

const PLACEHOLDERS = [
  {
    file: EVALUATE_WORKFLOW,
    pattern: /loragate\/loragate\/action@(0{40})\b/,
    field: "uses",
    message: "the loragate action is pinned to the placeholder commit 000…",
    hint: "replace the zeros with the commit of the loragate release you installed (docs/operator-guide.md)",
  },
  {
    file: SITE_WORKFLOW,
    pattern: /LORAGATE_SHA256:\s*["']?(0{64})\b/,
    field: "LORAGATE_SHA256",
    message: "the loragate tarball's sha256 is the placeholder 000…",
    hint: "set LORAGATE_TARBALL to where your release's tarball is and LORAGATE_SHA256 to its sha256 (docs/operator-guide.md)",
  },
] as const;

/** Workflows larger than this are not the templates: not read. */
const MAX_WORKFLOW_BYTES = 262_144;

/** An `unpinned-release` warning per placeholder still in the registry's workflows. */
export async function checkWorkflowPins(source: RegistrySource): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const p of PLACEHOLDERS) {
    const entry = await source.stat(p.file);
    if (entry?.kind !== "file" || entry.size > MAX_WORKFLOW_BYTES) continue;
    const lines = new TextDecoder().decode(await source.read(p.file)).split("\n");
    const line = lines.findIndex((text) => p.pattern.test(text));
    if (line < 0) continue;
    const match = p.pattern.exec(lines[line]!)!;
    findings.push({
      file: p.file,
      line: line + 1,
      column: match.index + match[0].indexOf(match[1]!) + 1,
      field: p.field,
      rule: "unpinned-release",
      severity: "warning",
      message: p.message,
      hint: p.hint,
    });
  }
  return findings;
}
