/**
 * `loragate site` as a command (the browser tests look at the pages): what it reads, what it refuses,
 * what it writes; and the evaluation record a merge stores.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HOSTILE_DESCRIPTION, writeSiteRegistry } from "../fixtures/site-registry.ts";
import { sampleResults } from "../fixtures/sample-results.ts";
import { runCli } from "../src/cli/main.ts";
import { evaluateBar } from "../src/core/evaluation/bar.ts";
import { DEFAULT_CONFIG } from "../src/core/schemas/config.ts";
import { evaluationRecord } from "../src/core/registry/merge-record.ts";
import { MAX_LOSS_POINTS } from "../src/core/schemas/evaluation-record.ts";
import { scratchFolder } from "./support/scratch.ts";

const dir = scratchFolder("site-cli");
const registry = join(dir, "registry");
writeSiteRegistry(registry);

async function site(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["site", ...argv], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    isTTY: false,
  });
  return { code, stdout, stderr };
}
const pages = (root: string) => [
  join(root, "index.html"),
  ...readdirSync(join(root, "adapters")).map((f) => join(root, "adapters", f)),
];

describe("loragate site", () => {
  const out = join(dir, "site");

  it("writes index.html and one card per registry adapter, says where to open it, and rebuilds in place", async () => {
    const built = await site(registry, "--out", out);
    expect(built.stderr).toBe("");
    expect(built.code).toBe(0);
    expect(built.stdout).toContain(`open ${join(out, "index.html")}`);
    expect(readdirSync(join(out, "adapters")).sort()).toEqual([
      "analysis-basic.html",
      "code-helper.html",
      "evil-display.html",
      "math-gsm8k.html",
      "math-tutor.html",
    ]);
    expect((await site(registry, "--out", out)).code).toBe(0); // an earlier site is replaced
    // each p is named by the test it comes from, not "McNemar" for every one (#33 item 5)
    const card = readFileSync(join(out, "adapters/math-gsm8k.html"), "utf8");
    expect(card).not.toContain("paired McNemar p");
    expect(card).toContain("McNemar exact on 0/1 scores, sign test on graded ones");
    expect(card).toMatch(/<td>McNemar exact<\/td><\/tr>/);
  });

  it("makes every string from outside inert: no tag, attribute or scheme of a PR's survives", () => {
    for (const file of pages(out)) {
      const html = readFileSync(file, "utf8");
      expect(html).not.toMatch(/<(script|img|iframe)\b|onerror="|href="javascript/i); // as text they are harmless
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing to load from elsewhere, no link out
    }
    expect(readFileSync(join(out, "adapters/evil-display.html"), "utf8")).toContain(
      "Evil &#60;script&#62;document.title=&#34;pwned&#34;&#60;/script&#62;",
    );
    expect(HOSTILE_DESCRIPTION).toContain("<script>");
  });

  it("skips a record that does not load, naming it, and refuses an --out that holds other files", async () => {
    const broken = join(dir, "broken");
    writeSiteRegistry(broken);
    writeFileSync(join(broken, "evaluations/math-gsm8k/0.2.0.json"), "{ not json");
    writeFileSync(
      join(broken, "evaluations/math-gsm8k/9.9.9.json"),
      JSON.stringify({ adapter: "math-gsm8k" }),
    );
    const run = await site(broken, "--out", join(dir, "broken-site"));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("skipped evaluations/math-gsm8k/0.2.0.json: not JSON");
    expect(run.stderr).toMatch(/skipped evaluations\/math-gsm8k\/9\.9\.9\.json: not an evaluation record/);
    const card = readFileSync(join(dir, "broken-site/adapters/math-gsm8k.html"), "utf8");
    expect(card).toContain("0.1.0");
    expect(card).not.toContain('<th scope="row">0.2.0</th>');

    const busy = join(dir, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "keep.txt"), "mine");
    const refused = await site(registry, "--out", busy);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not empty and holds no earlier site/);
    expect(readFileSync(join(busy, "keep.txt"), "utf8")).toBe("mine");
    expect((await site(join(dir, "nowhere"), "--out", join(dir, "x"))).code).toBe(2);
    expect((await site(registry)).code).toBe(2); // --out is required
  });
});

describe("the evaluation record a merge stores", () => {
  it("keeps public benchmarks only, the bar's own numbers, and the loss up to 500 points with both ends", () => {
    const results = sampleResults();
    results.training!.loss = Array.from({ length: 1301 }, (_, step) => ({ step, loss: 3 - step / 1000 }));
    const verdict = evaluateBar({ results, config: DEFAULT_CONFIG });
    const record = evaluationRecord(results, verdict, { pr: 4, run: 9 });
    expect(record.benchmarks.map((b) => b.kind)).not.toContain("hidden");
    const own = verdict.summaries.find((s) => s.benchmark.kind === "own")!.summary;
    expect(record.benchmarks[0]).toMatchObject({
      name: "own",
      adapter: own.adapter,
      p: own.p,
      ci95: own.ci95,
    });
    expect(record.benchmarks[0]!.by_difficulty).toHaveProperty("hard");
    const loss = record.training!.loss;
    expect(loss).toHaveLength(MAX_LOSS_POINTS);
    expect([loss[0]!.step, loss.at(-1)!.step]).toEqual([0, 1300]);
  });
});
