/**
 * A line chart as inline SVG, drawn at build time: no script, no library, no request at view time.
 * Every point is a circle (class "point") so a reader, a screen reader's table or a test can count them.
 */
import { escapeHtml } from "./html.ts";

export interface ChartParams {
  points: readonly { x: number; y: number; label: string }[];
  /** Short title, read first by screen readers. */
  title: string;
  /** What the chart shows, in words (its alt text). */
  description: string;
  xLabel: string;
  yLabel: string;
}

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };

export function lineChart(p: ChartParams): string {
  const xs = p.points.map((q) => q.x);
  const ys = p.points.map((q) => q.y);
  const [x0, x1] = span(xs);
  const [y0, y1] = span(ys);
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (WIDTH - PAD.left - PAD.right);
  const sy = (y: number) => HEIGHT - PAD.bottom - ((y - y0) / (y1 - y0)) * (HEIGHT - PAD.top - PAD.bottom);
  // Each coordinate is formatted once: a 500-step loss curve on 1,000 cards is half a million points.
  const cx = p.points.map((q) => sx(q.x).toFixed(1));
  const cy = p.points.map((q) => sy(q.y).toFixed(1));
  const id = `chart-${hash(p.title)}`;
  return [
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-t ${id}-d" preserveAspectRatio="xMidYMid meet">`,
    `<title id="${id}-t">${escapeHtml(p.title)}</title>`,
    `<desc id="${id}-d">${escapeHtml(p.description)}</desc>`,
    `<line class="axis" x1="${PAD.left}" y1="${HEIGHT - PAD.bottom}" x2="${WIDTH - PAD.right}" y2="${HEIGHT - PAD.bottom}"/>`,
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${HEIGHT - PAD.bottom}"/>`,
    tick(PAD.left - 6, sy(y1) + 4, "end", format(y1)),
    tick(PAD.left - 6, sy(y0) + 4, "end", format(y0)),
    tick(sx(x0), HEIGHT - PAD.bottom + 16, "start", format(x0)),
    tick(sx(x1), HEIGHT - PAD.bottom + 16, "end", format(x1)),
    tick((PAD.left + WIDTH - PAD.right) / 2, HEIGHT - 6, "middle", p.xLabel),
    `<text class="label" x="14" y="${(PAD.top + HEIGHT - PAD.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(PAD.top + HEIGHT - PAD.bottom) / 2})">${escapeHtml(p.yLabel)}</text>`,
    cx.length > 1 ? `<polyline class="line" points="${cx.map((x, i) => `${x},${cy[i]}`).join(" ")}"/>` : "",
    ...p.points.map(
      (q, i) =>
        `<circle class="point" cx="${cx[i]}" cy="${cy[i]}" r="2.5"><title>${escapeHtml(q.label)}</title></circle>`,
    ),
    "</svg>",
  ].join("");
}

function tick(x: number, y: number, anchor: string, text: string): string {
  return `<text class="tick" x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}">${escapeHtml(text)}</text>`;
}

/** The range of the values, widened when flat so a single point or a constant line is drawn mid-height. */
function span(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

const format = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) >= 10 ? 1 : 3));

function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
