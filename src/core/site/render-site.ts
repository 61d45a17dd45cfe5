/**
 * The registry's own pages, as static HTML: a leaderboard per domain, one card per adapter and a
 * matrix of every adapter against every benchmark. Pure: registry.yaml, the adapters' manifests and
 * the stored evaluation records in, file contents out. Everything from outside is escaped; pages hold
 * no script and load nothing (their Content-Security-Policy says so to the browser too).
 */
import { compareSemver } from "../registry/semver.ts";
import type { AdapterManifest } from "../schemas/adapter.ts";
import type { Registry } from "../schemas/registry.ts";
import type { EvaluationRecord } from "../schemas/evaluation-record.ts";
import { escapeHtml as esc, page } from "./html.ts";
import { lineChart } from "./svg-chart.ts";

export interface SiteAdapter {
  name: string;
  entry: Registry["adapters"][string];
  /** adapters/<name>/adapter.yaml, when it loads. */
  manifest?: AdapterManifest;
  /** Every merged version's record, any order. */
  history: EvaluationRecord[];
}

type Row = {
  name: string;
  a: SiteAdapter;
  score?: number;
  base?: number;
  bench?: EvaluationRecord["benchmarks"][number];
};

const pct = (x: number | undefined) => (x === undefined ? "—" : (x * 100).toFixed(1));
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}`;
const deltaClass = (x: number) => (x > 0 ? "up" : x < 0 ? "down" : "");

/** The files of the site: index.html and adapters/<name>.html. */
export function renderSite(
  registry: Registry,
  adapters: readonly SiteAdapter[],
  /** The routing matrix's section (src/core/router/routing-html.ts), under the adapter matrix. */
  routing = "",
): Map<string, string> {
  const files = new Map<string, string>();
  files.set("index.html", renderIndexPage(registry, adapters, routing));
  for (const adapter of adapters) {
    const card = renderAdapterCard(registry, adapter);
    files.set(card.file, card.html);
  }
  return files;
}

/**
 * One adapter's card, and what the index needs of the adapter afterwards: its records without their
 * loss curves, so a builder that writes each card at once holds 3,000 records' curves no longer than that.
 */
export function renderAdapterCard(
  registry: Registry,
  adapter: SiteAdapter,
): { file: string; html: string; forIndex: SiteAdapter } {
  const sorted = byVersion(adapter);
  return {
    file: `adapters/${adapter.name}.html`,
    html: renderCard(registry, sorted),
    forIndex: { ...sorted, history: sorted.history.map(({ training: _, ...record }) => record) },
  };
}

/** index.html: a leaderboard per domain, the adapter x benchmark matrix and the routing section. */
export function renderIndexPage(registry: Registry, adapters: readonly SiteAdapter[], routing = ""): string {
  return renderIndex(registry, adapters.map(byVersion), routing);
}

const byVersion = (a: SiteAdapter): SiteAdapter => ({
  ...a,
  history: [...a.history].sort((x, y) => compareSemver(x.version, y.version)),
});

/** The record of the version registry.yaml lists, else the newest. */
const current = (a: SiteAdapter) => a.history.find((r) => r.version === a.entry.version) ?? a.history.at(-1);

function renderIndex(registry: Registry, adapters: readonly SiteAdapter[], routing: string): string {
  const domains = [...new Set(adapters.map((a) => a.entry.domain))].sort();
  const body = [
    `<h1>Adapter registry</h1>`,
    `<p class="meta">Base model <code>${esc(registry.base.id)}</code>. ${adapters.length} adapters in ${domains.length} domains. Scores are the share of held-out items answered correctly, in percent; Δ is the adapter's gain over the base on the same items, with its 95% interval.</p>`,
    ...domains.map((domain) => leaderboard(domain, adapters)),
    matrix(adapters),
    routing,
  ];
  return page({ title: "Adapter registry", body: body.join("\n"), root: "" });
}

function leaderboard(domain: string, adapters: readonly SiteAdapter[]): string {
  const rows: Row[] = adapters
    .filter((a) => a.entry.domain === domain)
    .map((a) => {
      const score = a.entry.scores[domain] ?? a.entry.scores.own;
      const record = current(a);
      const bench =
        record?.benchmarks.find((b) => b.name === domain) ?? record?.benchmarks.find((b) => b.kind === "own");
      return { name: a.name, a, score: score?.adapter, base: score?.base, bench };
    })
    .sort((x, y) => (y.score ?? -1) - (x.score ?? -1) || x.name.localeCompare(y.name));
  const cells = rows.map(
    (r, i) =>
      `<tr><td class="num">${i + 1}</td><th scope="row"><a href="adapters/${esc(r.name)}.html">${esc(r.name)}</a></th><td>${esc(r.a.entry.version)}</td><td>${r.a.entry.active ? '<span class="active">● active</span>' : ""}${r.a.entry.status === "imported" ? ' <span class="meta">imported, not gated</span>' : ""}</td><td class="num score">${pct(r.score)}</td><td class="num">${pct(r.base)}</td><td class="num">${deltaCell(r.bench)}</td><td>${r.a.entry.provenance ? `#${r.a.entry.provenance.pr}` : "—"}</td></tr>`,
  );
  return `<section aria-labelledby="d-${esc(domain)}"><h2 id="d-${esc(domain)}">${esc(domain)}</h2><div class="scroll"><table class="leaderboard" data-domain="${esc(domain)}"><caption>${esc(domain)}: best in-domain score first</caption><thead><tr><th scope="col" class="num">#</th><th scope="col">Adapter</th><th scope="col">Version</th><th scope="col">Router</th><th scope="col" class="num">Score</th><th scope="col" class="num">Base</th><th scope="col" class="num">Δ (95% interval)</th><th scope="col">PR</th></tr></thead><tbody>${cells.join("")}</tbody></table></div></section>`;
}

function deltaCell(bench: EvaluationRecord["benchmarks"][number] | undefined): string {
  if (!bench) return "—";
  return `<span class="${deltaClass(bench.delta)}">${signed(bench.delta)}</span> <span class="meta">[${signed(bench.ci95[0])}, ${signed(bench.ci95[1])}]</span>`;
}

/** Every adapter against every registry benchmark its latest evaluation ran: what it does elsewhere. */
function matrix(adapters: readonly SiteAdapter[]): string {
  const names = [
    ...new Set(
      adapters.flatMap(
        (a) =>
          current(a)
            ?.benchmarks.filter((b) => b.kind !== "own")
            .map((b) => b.name) ?? [],
      ),
    ),
  ].sort();
  if (names.length === 0) return "";
  const rows = adapters.map((a) => {
    const record = current(a);
    const cells = names.map((name) => {
      const b = record?.benchmarks.find((x) => x.name === name);
      return b
        ? `<td class="num ${deltaClass(b.delta)}" title="${esc(`${name}: base ${pct(b.base)} → adapter ${pct(b.adapter)}`)}">${signed(b.delta)}</td>`
        : `<td class="num meta">·</td>`;
    });
    return `<tr><th scope="row"><a href="adapters/${esc(a.name)}.html">${esc(a.name)}</a></th>${cells.join("")}</tr>`;
  });
  return `<section aria-labelledby="matrix"><h2 id="matrix">Every adapter on every benchmark</h2><p class="meta">Δ in points against the base; a negative number in another domain's column is what the adapter costs there. · = not evaluated.</p><div class="scroll"><table class="matrix"><caption>Adapters (rows) by registry benchmark (columns)</caption><thead><tr><th scope="col">Adapter</th>${names.map((n) => `<th scope="col" class="num">${esc(n)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div></section>`;
}

function renderCard(registry: Registry, a: SiteAdapter): string {
  const record = current(a);
  const m = a.manifest;
  const body = [
    `<h1>${esc(a.name)} <span class="meta">${esc(a.entry.version)}</span></h1>`,
    `<p>${a.entry.active ? '<span class="active">● active</span> for' : "Domain"} <strong>${esc(a.entry.domain)}</strong>${a.entry.provenance ? `, merged from pull request #${a.entry.provenance.pr}` : ""}${a.entry.status === "imported" ? ", imported from LocoLLM and not gated by loragate: it serves until a gated version replaces it" : ""}.</p>`,
    m ? `<p class="description">${esc(m.description)}</p>` : "",
    `<dl class="facts"><dt>Authors</dt><dd>${m ? esc(m.authors.join(", ")) : "—"}</dd><dt>License</dt><dd>${m ? esc(m.license) : "—"}</dd><dt>LoRA</dt><dd>${m ? `r ${m.lora.r}, alpha ${m.lora.alpha}, ${esc(m.lora.target_modules.join(", "))}` : "—"}</dd></dl>`,
    record ? scores(record) : `<p class="meta">No evaluation record is stored for this version.</p>`,
    record ? difficulties(record) : "",
    record?.training ? lossCurve(record) : "",
    history(a),
    record ? provenance(record) : "",
    usage(registry, a),
  ];
  return page({
    title: `${a.name} ${a.entry.version} — adapter registry`,
    body: body.join("\n"),
    root: "../",
  });
}

function scores(record: EvaluationRecord): string {
  const rows = record.benchmarks.map(
    (b) =>
      `<tr><th scope="row">${esc(b.name)}</th><td>${esc(b.kind)}</td><td class="num">${b.items}</td><td class="num">${pct(b.base)}</td><td class="num">${pct(b.adapter)}</td><td class="num ${deltaClass(b.delta)}">${signed(b.delta)}</td><td class="num">[${signed(b.ci95[0])}, ${signed(b.ci95[1])}]</td><td class="num">${b.p < 0.001 ? "&lt; 0.001" : b.p.toFixed(3)}</td><td>${b.test ?? (b.evaluation_type === "rouge_l" ? "sign test" : "McNemar exact")}</td></tr>`,
  );
  return `<h2>Scores (version ${esc(record.version)})</h2><div class="scroll"><table class="scores"><caption>Own, domain and out-of-domain benchmarks; p of the paired test named beside it (McNemar exact on 0/1 scores, sign test on graded ones); the interval is exact on the items that changed and excludes 0 exactly when p &lt; 0.05</caption><thead><tr><th scope="col">Benchmark</th><th scope="col">Kind</th><th scope="col" class="num">Items</th><th scope="col" class="num">Base</th><th scope="col" class="num">Adapter</th><th scope="col" class="num">Δ</th><th scope="col" class="num">95% interval</th><th scope="col" class="num">p</th><th scope="col">Test</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function difficulties(record: EvaluationRecord): string {
  const rows = record.benchmarks.flatMap((b) =>
    Object.entries(b.by_difficulty ?? {}).map(
      ([level, d]) =>
        `<tr><th scope="row">${esc(b.name)}</th><td>${esc(level)}</td><td class="num">${d.items}</td><td class="num">${pct(d.base)}</td><td class="num">${pct(d.adapter)}</td><td class="num ${deltaClass(d.adapter - d.base)}">${signed(d.adapter - d.base)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return "";
  return `<h2>By difficulty</h2><div class="scroll"><table class="difficulty"><caption>Items the benchmark rates easy, medium or hard</caption><thead><tr><th scope="col">Benchmark</th><th scope="col">Difficulty</th><th scope="col" class="num">Items</th><th scope="col" class="num">Base</th><th scope="col" class="num">Adapter</th><th scope="col" class="num">Δ</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function lossCurve(record: EvaluationRecord): string {
  const loss = record.training!.loss;
  const first = loss[0];
  const last = loss.at(-1);
  // Older records kept every step they show; newer ones say how many the evenly spaced sample stands for.
  const steps = `${loss.length} of ${record.training!.steps ?? loss.length} logged steps`;
  return `<h2>Training loss</h2><figure>${lineChart({
    points: loss.map((p) => ({ x: p.step, y: p.loss, label: `step ${p.step}: ${p.loss}` })),
    title: `Training loss of ${record.adapter} ${record.version}`,
    description:
      first && last
        ? `${steps}; the loss goes from ${first.loss} at step ${first.step} to ${last.loss} at step ${last.step}, in ${Math.round(record.training!.wall_seconds)} s of training.`
        : "No steps logged.",
    xLabel: "optimizer step",
    yLabel: "loss",
  })}<figcaption class="meta">Retrained by the registry's runners from the submitted data: the chart plots ${steps}.</figcaption></figure>`;
}

function history(a: SiteAdapter): string {
  if (a.history.length === 0) return "";
  const inDomain = (r: EvaluationRecord) =>
    r.benchmarks.find((b) => b.name === a.entry.domain) ?? r.benchmarks.find((b) => b.kind === "own");
  const rows = a.history.map((r) => {
    const b = inDomain(r);
    return `<tr><th scope="row">${esc(r.version)}</th><td>#${r.provenance.pr}</td><td class="num">${pct(b?.base)}</td><td class="num">${pct(b?.adapter)}</td><td class="num">${b ? signed(b.delta) : "—"}</td></tr>`;
  });
  const points = a.history.flatMap((r, i) => {
    const b = inDomain(r);
    return b ? [{ x: i + 1, y: b.adapter * 100, label: `${r.version}: ${pct(b.adapter)}` }] : [];
  });
  const chart =
    points.length > 1
      ? lineChart({
          points,
          title: `In-domain score of ${a.name} by version`,
          description: `From ${points[0]!.label} to ${points.at(-1)!.label} over ${points.length} versions.`,
          xLabel: "version (oldest first)",
          yLabel: "score, %",
        })
      : "";
  return `<h2>Version history</h2>${chart}<div class="scroll"><table class="history"><caption>Every merged version, oldest first, on its domain benchmark</caption><thead><tr><th scope="col">Version</th><th scope="col">PR</th><th scope="col" class="num">Base</th><th scope="col" class="num">Adapter</th><th scope="col" class="num">Δ</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function provenance(record: EvaluationRecord): string {
  const p = record.provenance;
  return `<h2>Provenance</h2><dl class="provenance"><dt>Commit evaluated</dt><dd><code>${esc(p.head_sha)}</code></dd><dt>Workflow run</dt><dd>${p.run ?? "—"}</dd><dt>Adapter GGUF sha256</dt><dd><code>${esc(p.adapter_sha256)}</code></dd><dt>Base</dt><dd><code>${esc(p.base_id)}</code>, GGUF sha256 <code>${esc(p.base_gguf_sha256)}</code></dd><dt>Harness</dt><dd>${esc(p.harness)} on ${esc(p.hardware)}</dd></dl>`;
}

function usage(registry: Registry, a: SiteAdapter): string {
  const file = `${a.name}-${a.entry.version}.gguf`;
  const base = registry.base.inference.file ?? "base.gguf";
  return `<h2>Use it</h2><p>The adapter is a LoRA GGUF for the pinned base <code>${esc(registry.base.id)}</code>.</p><p>llama.cpp:</p><pre><code>llama-cli -m ${esc(base)} --lora ${esc(file)}</code></pre><p>Ollama (a Modelfile):</p><pre><code>FROM ${esc(base)}\nADAPTER ./${esc(file)}</code></pre>`;
}
