/**
 * The site workflow `loragate init` writes, run as GitHub would run its build job: each `run:` step as
 * written (bash -eo pipefail, its env, RUNNER_TEMP), the actions it uses played by what they do here
 * (checkout: the registry in the workspace; upload-pages-artifact: the folder it uploads). Only the
 * release the registry pins differs: the tarball `npm pack` makes of this checkout, by file:// URL, and
 * its sha256, set where an operator sets them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { writeSiteRegistry } from "../fixtures/site-registry.ts";

const repo = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "loragate-site-workflow-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }), 120_000); // node_modules: many files

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
const workflow = yaml.load(readFileSync(join(repo, "templates", "workflows", "loragate-site.yml"), "utf8"), {
  schema: yaml.CORE_SCHEMA,
}) as { env?: Record<string, string>; jobs: { build: { steps: Step[] } } };
const steps = workflow.jobs.build.steps;
const fetchStep = steps.find((s) => s.env?.LORAGATE_SHA256 !== undefined)!;

/** A `run:` step as the runner runs it: bash with GitHub's flags, in the workspace, with its env. */
function runStep(step: Step, workspace: string, runnerTemp: string, env: Record<string, string> = {}) {
  return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
    cwd: workspace,
    encoding: "utf8",
    timeout: 480_000,
    env: {
      ...process.env,
      // npm's cache first, as package-install.test.ts does; the step's command line is unchanged
      npm_config_prefer_offline: "true",
      ...workflow.env,
      ...step.env,
      ...env,
      RUNNER_TEMP: runnerTemp,
      GITHUB_WORKSPACE: workspace,
    },
  });
}

describe(
  "the site workflow, its build job run as written against the packed tarball",
  { timeout: 600_000 },
  () => {
    it("pins a release by tarball and sha256, never a package name from a registry", () => {
      const text = readFileSync(join(repo, "templates", "workflows", "loragate-site.yml"), "utf8");
      expect(text).not.toMatch(/npx [^\n]*loragate@|npm (install|exec|x) [^\n]*\bloragate@/);
      expect(fetchStep.env!.LORAGATE_TARBALL).toMatch(/^https:\/\/\S+\.tgz$/);
      expect(fetchStep.env!.LORAGATE_SHA256).toMatch(/^[0-9a-f]{64}$/);
      expect(fetchStep.run).toContain("sha256sum --check");
    });

    it("the placeholder sha256 (or a tarball with other bytes) stops the job before anything of it runs", () => {
      const workspace = join(dir, "refused");
      const runnerTemp = join(dir, "refused-temp");
      mkdirSync(workspace);
      mkdirSync(runnerTemp);
      const other = join(dir, "other.tgz");
      execFileSync("tar", ["-czf", other, "-C", repo, "package.json"]);
      const r = runStep(fetchStep, workspace, runnerTemp, { LORAGATE_TARBALL: `file://${other}` });
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/FAILED/);
    });

    it("fetches the tarball, checks it, installs it without scripts and builds the page that is uploaded", () => {
      const tgz = join(
        dir,
        execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], {
          cwd: repo,
          encoding: "utf8",
        }).trim(),
      );
      const sha256 = createHash("sha256").update(readFileSync(tgz)).digest("hex");
      const workspace = join(dir, "registry");
      const runnerTemp = join(dir, "runner-temp");
      mkdirSync(runnerTemp);
      const release = { LORAGATE_TARBALL: `file://${tgz}`, LORAGATE_SHA256: sha256 };
      let uploaded: string | undefined;
      for (const step of steps) {
        const action = step.uses?.split("@")[0];
        if (action === "actions/checkout") writeSiteRegistry(workspace);
        else if (action === "actions/setup-node")
          expect(process.versions.node.split(".")[0]).toBe(String(step.with!["node-version"]));
        else if (action === "actions/upload-pages-artifact")
          uploaded = step.with!.path!.replace("${{ runner.temp }}", runnerTemp);
        else if (step.run) {
          const r = runStep(step, workspace, runnerTemp, step === fetchStep ? release : {});
          expect(r.status, `${step.name}:\n${r.stdout}${r.stderr}`).toBe(0);
        } else throw new Error(`a step this test does not know: ${JSON.stringify(step)}`);
      }
      expect(uploaded).toBeDefined();
      expect(readFileSync(join(uploaded!, "index.html"), "utf8")).toContain("math-gsm8k");
      expect(existsSync(join(uploaded!, "adapters", "math-gsm8k.html"))).toBe(true);
      // what the workflow installed is that tarball, without llama.cpp's binaries
      const installed = join(runnerTemp, "loragate", "node_modules");
      expect(JSON.parse(readFileSync(join(installed, "loragate", "package.json"), "utf8")).version).toBe(
        JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version,
      );
      expect(existsSync(join(installed, "@node-llama-cpp"))).toBe(false);
    });
  },
);
