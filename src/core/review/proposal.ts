import yaml from "js-yaml";
import { NgramHasher } from "../contamination/hashing.ts";
import { tokenHashes } from "../contamination/normalize.ts";
import { type Proposal, ProposalSchema } from "../schemas/proposal.ts";

/** The fields of the adapter-proposal issue form (templates/ISSUE_TEMPLATE/adapter-proposal.yml), by label. */
export const PROPOSAL_FIELDS = {
  domain: "Domain",
  description: "Description",
  why: "Why the base model underperforms",
  example_queries: "Example queries",
  data_sources: "Planned data sources",
  scope: "Scope",
  estimated_size: "Estimated training set size",
  router_keywords: "Router keywords",
} as const;
type FieldId = keyof typeof PROPOSAL_FIELDS;

export interface ProposalProblem {
  field: FieldId | "form";
  message: string;
  hint: string;
}

/** The sections of a rendered issue form: `### Label` then the answer; "_No response_" is empty. */
function formSections(body: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = body
    .slice(0, 100_000)
    .split(/^###[ \t]+/m)
    .slice(1);
  for (const part of parts) {
    const newline = part.indexOf("\n");
    const label = (newline < 0 ? part : part.slice(0, newline)).trim();
    const value = newline < 0 ? "" : part.slice(newline + 1).trim();
    if (!sections.has(label)) sections.set(label, value === "_No response_" ? "" : value);
  }
  return sections;
}

/** Parses and checks a proposal body; `minTrainExamples` is the registry's bar. */
export function checkProposal(
  body: string,
  minTrainExamples: number,
): { proposal?: Proposal; problems: ProposalProblem[] } {
  const sections = formSections(body);
  if (sections.size === 0) {
    return {
      problems: [
        {
          field: "form",
          message: "this issue is not an adapter-proposal form",
          hint: "open the issue with the “Adapter proposal” template, so every section is there",
        },
      ],
    };
  }
  const text = (id: FieldId) => sections.get(PROPOSAL_FIELDS[id]) ?? "";
  const lines = (id: FieldId) =>
    text(id)
      .split(/\r?\n/)
      .map((l) => l.replace(/^\s*(?:[-*]|\d+[.)])\s+/, "").trim())
      .filter(Boolean);
  const candidate = {
    domain: text("domain").trim(),
    description: text("description"),
    why: text("why"),
    example_queries: lines("example_queries"),
    data_sources: text("data_sources"),
    scope: text("scope"),
    estimated_size: Number(text("estimated_size").replace(/[,_\s]/g, "")) || 0,
    router_keywords: text("router_keywords")
      .split(/[,;\n]/)
      .map((k) => k.trim())
      .filter(Boolean),
  };
  const problems: ProposalProblem[] = [];
  for (const id of Object.keys(PROPOSAL_FIELDS) as FieldId[]) {
    if (id !== "router_keywords" && !sections.has(PROPOSAL_FIELDS[id])) {
      problems.push({
        field: id,
        message: `the section “${PROPOSAL_FIELDS[id]}” is missing`,
        hint: "edit the issue and add it under a `### " + PROPOSAL_FIELDS[id] + "` heading",
      });
    }
  }
  const parsed = ProposalSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0]) as FieldId;
      if (problems.some((p) => p.field === field)) continue;
      problems.push({ field, message: `${PROPOSAL_FIELDS[field]}: ${issue.message}`, hint: hintFor(field) });
    }
  }
  if (candidate.estimated_size > 0 && candidate.estimated_size < minTrainExamples) {
    problems.push({
      field: "estimated_size",
      message: `${candidate.estimated_size} training examples are under the registry's minimum of ${minTrainExamples}`,
      hint: "plan more data, or narrow the scope so 500 good examples are reachable",
    });
  }
  return { proposal: parsed.success ? parsed.data : undefined, problems };
}

function hintFor(field: FieldId): string {
  return {
    domain: "e.g. math, legal-contracts, sql",
    description: "say what the adapter will do better than the base model",
    why: "describe what the base model gets wrong today",
    example_queries: "list 3 to 5 real queries, one per line",
    data_sources: "name each source and its license",
    scope: "say what is in scope and what is not",
    estimated_size: "give a number of training examples, e.g. 800",
    router_keywords: "comma-separated words",
  }[field];
}

/** Something a proposal may overlap with: a registry adapter or another open proposal. */
export interface OverlapCandidate {
  label: string;
  domain: string;
  text: string;
}

/** What an overlap score means, for the people who read it. */
export const OVERLAP_MEANING =
  "overlap from 0 to 1: half for the parts of the domain names in common (math vs math-gsm8k: all of the shorter one), half for the words shared by domain, description, router keywords and example queries (Jaccard); 1 is the same adapter again, 0.5 or more is worth reading before starting";

export interface Overlap {
  label: string;
  score: number;
  /** Share of the shorter domain name's dash-separated parts found in the other. */
  domain: number;
  /** Jaccard similarity of the two word sets. */
  words: number;
  /** Other candidates with the same domain and text, folded into this row. */
  alike: number;
}

/**
 * How close a proposal is to each candidate (OVERLAP_MEANING), with the contamination engine's
 * normalization of words. Best first; candidates with the same domain and text share one row, so a
 * registry's copies of one adapter do not hide the others.
 */
export function proposalOverlap(
  proposal: Proposal,
  candidates: readonly OverlapCandidate[],
  top = 5,
): Overlap[] {
  const hasher = new NgramHasher(1);
  const words = (text: string) => new Set(hasher.hashes(tokenHashes(text)));
  const jaccard = (a: Set<number>, b: Set<number>) => {
    let shared = 0;
    for (const x of a) if (b.has(x)) shared++;
    return a.size + b.size - shared === 0 ? 0 : shared / (a.size + b.size - shared);
  };
  const mine = words(
    [
      proposal.domain,
      proposal.description,
      proposal.router_keywords.join(" "),
      ...proposal.example_queries,
    ].join("\n"),
  );
  const myDomain = new Set(proposal.domain.split("-"));
  const rows = new Map<string, Overlap>();
  const round = (x: number) => Math.round(x * 100) / 100;
  for (const c of [...candidates].sort((a, b) => a.label.localeCompare(b.label))) {
    const same = rows.get(`${c.domain}\n${c.text}`);
    if (same) {
      same.alike++;
      continue;
    }
    const theirDomain = new Set(c.domain.split("-"));
    const domainShared = [...myDomain].filter((t) => theirDomain.has(t)).length;
    const domain = domainShared / Math.min(myDomain.size, theirDomain.size);
    const shared = jaccard(mine, words(`${c.domain}\n${c.text}`));
    rows.set(`${c.domain}\n${c.text}`, {
      label: c.label,
      score: round((domain + shared) / 2),
      domain: round(domain),
      words: round(shared),
      alike: 0,
    });
  }
  return [...rows.values()]
    .filter((o) => o.score > 0)
    .sort((a, b) => b.score - a.score || a.label.localeCompare(b.label))
    .slice(0, top);
}

/** One overlap as a line: the score and its two halves. */
export const describeOverlap = (o: Overlap) =>
  `${o.score.toFixed(2)} (domain names ${o.domain.toFixed(2)}, words ${o.words.toFixed(2)})${o.alike ? `, and ${o.alike} more with the same domain, description and keywords` : ""}`;

/** The registry's adapters as overlap candidates, from their adapter.yaml texts (unreadable ones skipped). */
export function adapterCandidates(manifests: Record<string, string>): OverlapCandidate[] {
  const out: OverlapCandidate[] = [];
  for (const [name, text] of Object.entries(manifests)) {
    try {
      const m = yaml.load(text, { schema: yaml.CORE_SCHEMA }) as {
        domain?: unknown;
        description?: unknown;
        router_keywords?: unknown;
      };
      if (typeof m?.domain !== "string") continue;
      out.push({
        label: `adapter ${name}`,
        domain: m.domain,
        text: `${String(m.description ?? "")}\n${Array.isArray(m.router_keywords) ? m.router_keywords.join(" ") : ""}`,
      });
    } catch {
      // an unreadable manifest is validation's to report
    }
  }
  return out;
}
