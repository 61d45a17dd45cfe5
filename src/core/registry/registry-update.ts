import { Document, isScalar, parseDocument, type Scalar, YAMLMap } from "yaml";
import type { EvaluationRecord } from "../schemas/evaluation-record.ts";
import { type Registry, RegistrySchema } from "../schemas/registry.ts";

/** What a merge adds to registry.yaml for one adapter (from the bar check of the merged commit). */
export interface MergedAdapter {
  name: string;
  domain: string;
  version: string;
  /** Scores per benchmark name: adapter and base, p on in-domain ones. */
  scores: Record<string, { adapter: number; base: number; p?: number }>;
  /** The in-domain adapter score (the registry's domain benchmark, else the own one) that ranks the domain. */
  domainScore: number;
  provenance: { pr: number; head_sha: string; run?: number; adapter_sha256?: string; harness?: string };
  /** What the registry's page keeps of this evaluation (evaluations/<name>/<version>.json). */
  evaluation?: EvaluationRecord;
}

/**
 * registry.yaml with one adapter entry written (added or replaced); then, as in LocoLLM's ADR-0002,
 * exactly one active adapter per domain: the one with the best in-domain score. Only the lines of
 * that entry (and the `active` values that change) are written: every other byte of the maintainers'
 * file stays, comments, alignment and flow-map padding included. Applying the same merge twice gives
 * the same text.
 */
export function applyMerge(registryText: string, merged: MergedAdapter): string {
  const doc = parseDocument(registryText);
  if (doc.errors.length > 0) throw new Error(`registry.yaml does not parse: ${doc.errors[0]!.message}`);
  const original = doc.get("adapters", true);
  const text =
    original instanceof YAMLMap && !original.flow && original.items.length > 0
      ? spliceEntry(registryText, original, merged)
      : rewriteWhole(doc, registryText, merged);
  RegistrySchema.parse(parseDocument(text).toJS()); // never write a registry the app itself would reject
  return text;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The entry's content as registry.yaml holds it. */
const entryOf = (merged: MergedAdapter) => ({
  domain: merged.domain,
  version: merged.version,
  active: false,
  scores: Object.fromEntries(
    Object.entries(merged.scores).map(([name, s]) => [
      name,
      { adapter: round(s.adapter), base: round(s.base), ...(s.p === undefined ? {} : { p: round(s.p) }) },
    ]),
  ),
  provenance: merged.provenance,
});

/** yaml writes flow collections as `{ a: 1 }` unless told: the file's own style for what it holds. */
const flowPadding = (registryText: string) => {
  const flow = /[:-][ \t]*[{[]( ?)[^\s}\]]/.exec(registryText);
  return flow ? flow[1] === " " : true;
};

/** A registry with no block `adapters` map yet: the whole document written by yaml. */
function rewriteWhole(doc: Document, registryText: string, merged: MergedAdapter): string {
  doc.set("adapters", doc.createNode({ [merged.name]: entryOf(merged) }));
  chooseActive(doc.get("adapters") as YAMLMap, merged);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: flowPadding(registryText) });
}

/**
 * The merge as edits of the file's text: the entry's lines replaced (or added after the last entry),
 * and the `active` scalar of each other adapter whose flag changes; nothing else is touched.
 */
function spliceEntry(registryText: string, adapters: YAMLMap, merged: MergedAdapter): string {
  const pairOf = (name: string) => adapters.items.find((p) => keyName(p.key) === name);
  const activeBefore = new Map(adapters.items.map((p) => [keyName(p.key), activeOf(p.value)]));
  // The new state, decided on a copy: which adapters end up active.
  const next = adapters.clone() as YAMLMap;
  next.set(merged.name, new Document(entryOf(merged)).contents);
  chooseActive(next, merged);
  const edits: { from: number; to: number; text: string }[] = [];
  for (const pair of next.items) {
    const name = keyName(pair.key);
    const was = activeBefore.get(name);
    if (name === merged.name || was === activeOf(pair.value)) continue;
    const scalar = (pairOf(name)!.value as YAMLMap).get("active", true) as Scalar | undefined;
    if (!scalar?.range) throw new Error(`registry.yaml: adapters.${name} has no \`active\` value to change`);
    edits.push({ from: scalar.range[0], to: scalar.range[1], text: String(activeOf(pair.value)) });
  }
  const last = adapters.items.at(-1)!;
  const firstKey = adapters.items[0]!.key as Scalar;
  const indent = firstKey.range![0] - (registryText.lastIndexOf("\n", firstKey.range![0]) + 1);
  const entry = { ...entryOf(merged), active: activeOf(next.get(merged.name, true)) };
  const rendered = new Document({ [merged.name]: entry })
    .toString({ indent, lineWidth: 0, flowCollectionPadding: flowPadding(registryText) })
    .replace(/^(?=.)/gm, " ".repeat(indent))
    .slice(indent); // the first line starts where the key starts
  const existing = pairOf(merged.name);
  if (existing) {
    const from = (existing.key as Scalar).range![0];
    edits.push({ from, to: (existing.value as YAMLMap).range![2], text: rendered });
  } else {
    const at = (last.value as YAMLMap | Scalar).range![2];
    const lineStart = registryText.endsWith("\n", at) || at === 0 ? "" : "\n";
    edits.push({ from: at, to: at, text: `${lineStart}${" ".repeat(indent)}${rendered}` });
  }
  let text = registryText;
  for (const edit of edits.sort((a, b) => b.from - a.from))
    text = text.slice(0, edit.from) + edit.text + text.slice(edit.to);
  return text;
}

const keyName = (key: unknown) => String(isScalar(key) ? key.value : key);
const activeOf = (value: unknown) => value instanceof YAMLMap && value.get("active") === true;

/** One active adapter per domain: the best `domainScore`, ties kept by the adapter already active. */
function chooseActive(adapters: YAMLMap, merged: MergedAdapter): void {
  const sameDomain = adapters.items.filter((pair) => (pair.value as YAMLMap).get("domain") === merged.domain);
  const score = (map: YAMLMap, name: string) =>
    name === merged.name
      ? merged.domainScore
      : Number(
          (map.getIn(["scores", map.get("domain") as string, "adapter"]) as number | undefined) ??
            (map.getIn(["scores", "own", "adapter"]) as number | undefined) ??
            -1,
        );
  let best: { name: string; score: number; active: boolean } | undefined;
  for (const pair of sameDomain) {
    const name = keyName(pair.key);
    const map = pair.value as YAMLMap;
    const candidate = { name, score: score(map, name), active: map.get("active") === true };
    if (
      !best ||
      candidate.score > best.score ||
      (candidate.score === best.score && candidate.active && !best.active)
    )
      best = candidate;
  }
  for (const pair of sameDomain) {
    const name = keyName(pair.key);
    (pair.value as YAMLMap).set("active", name === best?.name);
  }
}

/** LEADERBOARD.md, generated from registry.yaml: one table per domain, best in-domain score first. */
export function renderLeaderboard(registry: Registry): string {
  const out = [
    "# Leaderboard",
    "",
    "Generated by loragate from registry.yaml on every merge; do not edit by hand.",
    "",
  ];
  const domains = [...new Set(Object.values(registry.adapters).map((a) => a.domain))].sort();
  for (const domain of domains) {
    const rows = Object.entries(registry.adapters)
      .filter(([, a]) => a.domain === domain)
      .map(([name, a]) => ({ name, a, score: a.scores[domain]?.adapter ?? a.scores.own?.adapter }))
      .sort((x, y) => (y.score ?? -1) - (x.score ?? -1) || x.name.localeCompare(y.name));
    out.push(
      `## ${domain}`,
      "",
      "| adapter | version | active | score | base | PR |",
      "| --- | --- | :-: | ---: | ---: | --- |",
    );
    for (const { name, a, score } of rows) {
      const base = a.scores[domain]?.base ?? a.scores.own?.base;
      out.push(
        `| ${name} | ${a.version} | ${a.active ? "✓" : ""} | ${score?.toFixed(2) ?? "—"} | ${base?.toFixed(2) ?? "—"} | ${a.provenance ? `#${a.provenance.pr}` : a.status === "imported" ? "imported, not gated" : "—"} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}
