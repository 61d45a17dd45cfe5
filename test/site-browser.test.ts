/**
 * The registry's page in a real browser: Debian's Chromium, driven by playwright-core, JavaScript off,
 * opening the site `loragate site` built from a registry whose merges were applied as the app applies
 * them. What a person sees is asserted: the leaderboard's order, a card's numbers against results.json,
 * one plotted point per logged step, hostile text shown as text; and that nothing else happens: no
 * console error, no request leaving the page. Screenshots go to test-artifacts/site/ (CI keeps them).
 */
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { load } from "js-yaml";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HOSTILE_AUTHOR,
  HOSTILE_DESCRIPTION,
  resultsOf,
  SITE_MERGES,
  writeSiteRegistry,
} from "../fixtures/site-registry.ts";
import { runCli } from "../src/cli/main.ts";
import { pairedSummary } from "../src/core/evaluation/statistics.ts";
import type { EvaluationRecord } from "../src/core/schemas/evaluation-record.ts";

const CHROMIUM = process.env.LORAGATE_CHROMIUM ?? "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
if (!present && process.env.LORAGATE_REQUIRE_BROWSER)
  throw new Error(`LORAGATE_REQUIRE_BROWSER is set but ${CHROMIUM} does not exist: apt-get install chromium`);
if (!present) console.warn(`browser tests skipped: no ${CHROMIUM} (apt-get install chromium)`);

const SCREENSHOTS = join(import.meta.dirname, "..", "test-artifacts", "site");
const dir = mkdtempSync(join(tmpdir(), "loragate-site-"));
const registryDir = join(dir, "registry");
const siteDir = join(dir, "site");
let server: Server;
let origin = "";
let browser: Browser;

beforeAll(async () => {
  if (!present) return;
  writeSiteRegistry(registryDir);
  const built = await runCli(["site", registryDir, "--out", siteDir], {
    stdout: () => {},
    stderr: () => {},
    isTTY: false,
  });
  expect(built).toBe(0);
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url!, "http://x").pathname)).replace(
      /^(\.\.[/\\])+/,
      "",
    );
    const file = join(siteDir, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(siteDir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, {
      "content-type": extname(file) === ".html" ? "text/html; charset=utf-8" : "application/octet-stream",
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a page with JavaScript off, recording console errors and every request the page makes. */
async function open(path: string, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  const response = await page.goto(`${origin}/${path}`);
  expect(response?.status()).toBe(200);
  return { page, problems, requests, close: () => context.close() };
}

const registry = () =>
  load(readFileSync(join(registryDir, "registry.yaml"), "utf8")) as {
    adapters: Record<string, { domain: string; scores: Record<string, { adapter: number }> }>;
  };
const record = (name: string, version: string) =>
  JSON.parse(
    readFileSync(join(registryDir, "evaluations", name, `${version}.json`), "utf8"),
  ) as EvaluationRecord;
const cellTexts = (page: Page, selector: string) =>
  page.$$eval(selector, (cells) => cells.map((c) => c.textContent!.trim()));
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}`;

describe.skipIf(!present)("the registry's page in Chromium (JavaScript off)", () => {
  it("the leaderboard lists each domain's adapters best first, with registry.yaml's scores; nothing else loads", async () => {
    const { page, problems, requests, close } = await open("index.html");
    const adapters = Object.entries(registry().adapters);
    for (const domain of ["math", "code", "analysis"]) {
      const expected = adapters
        .filter(([, a]) => a.domain === domain)
        .map(([name, a]) => ({ name, score: (a.scores[domain] ?? a.scores.own)!.adapter }))
        .sort((x, y) => y.score - x.score || x.name.localeCompare(y.name));
      const table = `table.leaderboard[data-domain="${domain}"] tbody tr`;
      expect(await cellTexts(page, `${table} th a`)).toEqual(expected.map((e) => e.name));
      expect(await cellTexts(page, `${table} td.score`)).toEqual(
        expected.map((e) => (e.score * 100).toFixed(1)),
      );
    }
    expect(await page.locator('table.leaderboard[data-domain="math"] .active').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, "leaderboard.png"), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests.every((url) => url.startsWith(origin))).toBe(true);
    await close();
  });

  it("a card shows results.json's numbers: each benchmark's base, adapter, Δ and interval, and one point per logged step", async () => {
    const merge = SITE_MERGES.find((m) => m.name === "math-gsm8k" && m.version === "0.3.0")!;
    const results = resultsOf(merge);
    const { page, problems, requests, close } = await open("adapters/math-gsm8k.html");
    const rows = await page.$$eval("table.scores tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("th,td")].map((c) => c.textContent!.trim())),
    );
    const publicBenchmarks = results.benchmarks.filter((b) => b.kind !== "hidden");
    expect(rows.map((r) => r[0])).toEqual(publicBenchmarks.map((b) => b.name)); // hidden ones never shown
    for (const [i, b] of publicBenchmarks.entries()) {
      const s = pairedSummary(b.outcomes);
      expect(rows[i]!.slice(2, 7)).toEqual([
        String(s.items),
        (s.base * 100).toFixed(1),
        (s.adapter * 100).toFixed(1),
        signed(s.delta),
        `[${signed(s.ci95[0])}, ${signed(s.ci95[1])}]`,
      ]);
    }
    const loss = results.training!.loss;
    const circles = await page.$$eval("figure svg.chart circle.point", (cs) => cs.map((c) => c.textContent));
    expect(circles).toEqual(loss.map((p) => `step ${p.step}: ${p.loss}`));
    expect(await page.getAttribute("figure svg.chart", "role")).toBe("img");
    expect(await cellTexts(page, "table.history tbody th")).toEqual(["0.1.0", "0.2.0", "0.3.0"]); // the history across versions
    expect(record("math-gsm8k", "0.1.0").version).toBe("0.1.0");
    await page.screenshot({ path: join(SCREENSHOTS, "card.png"), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests.every((url) => url.startsWith(origin))).toBe(true);
    await close();
  });

  it("text from a pull request stays text: no script runs, no tag is made, no image or link from it loads", async () => {
    const { page, problems, requests, close } = await open("adapters/evil-display.html");
    expect(await page.textContent("p.description")).toBe(HOSTILE_DESCRIPTION);
    expect(await page.textContent(".facts dd")).toBe(HOSTILE_AUTHOR);
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.locator('a[href^="javascript"]').count()).toBe(0);
    expect(await page.title()).toBe("evil-display 0.1.0 — adapter registry");
    expect(requests).toEqual([`${origin}/adapters/evil-display.html`]);
    expect(problems).toEqual([]);
    await close();
  });

  it("readable on a phone and to a screen reader: no sideways scrolling, headed tables, titled charts", async () => {
    for (const path of ["index.html", "adapters/math-gsm8k.html"]) {
      const { page, close } = await open(path, { width: 390, height: 844 });
      // the page itself never scrolls sideways; wide tables and code scroll inside their own boxes
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
      expect(await page.getAttribute("html", "lang")).toBe("en");
      expect(await page.locator("h1").count()).toBe(1);
      for (const table of await page.locator("table").all()) {
        expect(await table.locator("caption").count()).toBe(1);
        expect(await table.locator('thead th[scope="col"]').count()).toBeGreaterThan(1);
      }
      for (const svg of await page.locator("svg").all())
        expect((await svg.locator("title").first().textContent())!.length).toBeGreaterThan(10);
      await close();
    }
  });
});
