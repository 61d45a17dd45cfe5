/** HTML text and attribute values from anywhere (a PR's description, an author's name) made inert. */
export function escapeHtml(text: string): string {
  // Most text has nothing to escape (a page has ~1,500 labels): a test is cheaper than a replace.
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, (c) => `&#${c.charCodeAt(0)};`) : text;
}

const UNSAFE = /[&<>"'`]/;
const UNSAFE_ALL = /[&<>"'`]/g;

/** A page: the same head, styles and frame everywhere; `body` is already escaped HTML. */
export function page(p: { title: string; body: string; root: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(p.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><a href="${p.root}index.html">Adapter registry</a></header>
<main>
${p.body}
</main>
<footer>Built by loragate from registry.yaml and evaluations/ at merge time. Numbers are paired: the base and the adapter answered the same items.</footer>
</body>
</html>
`;
}

// Contrast: every text colour here is at least 4.5:1 on its background (WCAG AA).
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
header,footer{padding:.75rem 1rem;background:#f2f4f7}
header a{font-weight:600;color:#0b4fb3;text-decoration:none}
footer{font-size:.85rem;color:#4a4a4a;margin-top:2rem}
main{max-width:72rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.6rem;margin:1.2rem 0 .4rem}
h2{font-size:1.25rem;margin:1.6rem 0 .5rem}
a{color:#0b4fb3}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
caption{text-align:left;color:#4a4a4a;font-size:.9rem;padding:.25rem 0}
th,td{padding:.35rem .6rem;border-bottom:1px solid #d0d5dd;text-align:left;white-space:nowrap}
td.num,th.num{text-align:right}
.up{color:#0a6b2e}.down{color:#a40e26}
.active{font-weight:600;color:#0a6b2e}
.meta{color:#4a4a4a}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem}
dd code{overflow-wrap:anywhere}
pre{background:#f2f4f7;padding:.75rem;overflow-x:auto}
.chart{width:100%;max-width:40rem;height:auto}
.chart .axis{stroke:#4a4a4a}.chart .line{fill:none;stroke:#0b4fb3;stroke-width:1.5}
.chart .point{fill:#0b4fb3}.chart text{fill:#1a1a1a;font-size:12px}
@media (max-width:40rem){th,td{padding:.3rem .4rem;font-size:.9rem}}
`;
