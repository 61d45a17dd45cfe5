import type { Server } from "node:http";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { parseDocument } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { sampleResults } from "../fixtures/sample-results.ts";
import { correlationId } from "../src/core/review/correlation.ts";
import { fixtureBaseOf } from "../src/eval/fixture-model.ts";
import {
  type AppProcess,
  deliver,
  privateKey,
  SECRET,
  startApp,
  startGitHub,
} from "./support/app-process.ts";
import { cli } from "./support/cli.ts";
import { FakeGitHub } from "./support/fake-github.ts";
import { mergedPayload, pullRequestPayload, workflowRunPayload } from "./support/github.ts";
import { completeForFixture, FIXTURE_ROOT, readTree } from "./support/registry.ts";
import { scaled } from "./support/load.ts";

// A maintainer's and an operator's first day, as docs/operator-guide.md tells it: every command below is
// a line of the guide (checked first), run with the guide's names mapped to this test's folders.
const repo = join(import.meta.dirname, "..");
const guide = readFileSync(join(repo, "docs", "operator-guide.md"), "utf8");
const work = mkdtempSync(join(tmpdir(), "loragate-first-day-"));
const REVISION = "0123456789abcdef0123456789abcdef01234567";
const names: Record<string, string> = {
  "my-registry": join(work, "my-registry"),
  "base.gguf": join(work, "base.gguf"),
  "base-hf": join(work, "base-hf"),
  COMMIT: REVISION,
  NAME: "math-gsm8k",
  "register-app.html": join(work, "register-app.html"),
};

/** Runs a `loragate ...` line of the guide, after checking that the guide has it word for word. */
async function guideCommand(line: string) {
  expect(guide, line).toContain(line);
  return cli(
    ...line
      .replace(/^loragate /, "")
      .split(" ")
      .map((word) => names[word] ?? word),
  );
}

let server: Server | undefined;
let app: AppProcess | undefined;
afterAll(async () => {
  app?.child.kill("SIGKILL");
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe(
  "first day: from loragate init to a merged adapter, following the operator guide",
  { timeout: scaled(180_000) },
  () => {
    it("init, pin-base, check, the app from .env, a contributor's PR validated, evaluated, merged", async () => {
      const registry = names["my-registry"]!;
      // 1. Start the registry: init, the base's name, pin-base with the files the runners will use, check.
      expect((await guideCommand("loragate init my-registry")).code).toBe(0);
      const registryFile = join(registry, "registry.yaml");
      writeFileSync(
        registryFile,
        readFileSync(registryFile, "utf8")
          .replace("id: my-base-2026", "id: tiny-llama-fixture-2026")
          .replace("hub_id: Qwen/Qwen3-4B-Instruct-2507", "hub_id: loragate/tiny-llama-fixture"),
      );
      const base = fixtureBaseOf(FIXTURE_ROOT);
      writeFileSync(names["base.gguf"]!, base.gguf);
      await mkdir(names["base-hf"]!);
      for (const [file, bytes] of Object.entries(base.hf))
        writeFileSync(join(names["base-hf"]!, file), bytes);
      const pinned = await guideCommand(
        "loragate pin-base --gguf base.gguf --hf-base base-hf --revision COMMIT my-registry",
      );
      expect(pinned).toMatchObject({ code: 0, stderr: "" });
      // what pin-base writes: the quantization the GGUF records (the fixture base is F32), not the template's
      expect(guide).toContain("quantization: Q4_K_M # what the GGUF records as its file type");
      expect(
        parseDocument(readFileSync(registryFile, "utf8")).getIn(["base", "inference", "quantization"]),
      ).toBe("F32");

      // ... the release the workflows run: the action's commit and the site tarball's sha256 (step 0's)
      const placeholder = "loragate/loragate/action@0000000000000000000000000000000000000000";
      expect(guide).toContain(placeholder);
      for (const name of ["LORAGATE_TARBALL", "LORAGATE_SHA256"]) expect(guide).toContain(name);
      const workflowsDir = join(registry, ".github", "workflows");
      const unpinned = await cli("check", registry);
      expect(unpinned.stdout).toContain(
        "warning uses: the loragate action is pinned to the placeholder commit",
      );
      const evaluate = readFileSync(join(workflowsDir, "loragate.yml"), "utf8");
      writeFileSync(
        join(workflowsDir, "loragate.yml"),
        evaluate.replaceAll(placeholder, `loragate/loragate/action@${"a".repeat(40)}`),
      );
      const site = readFileSync(join(workflowsDir, "loragate-site.yml"), "utf8");
      writeFileSync(
        join(workflowsDir, "loragate-site.yml"),
        site.replace(/LORAGATE_SHA256: "0{64}"/, `LORAGATE_SHA256: "${"b".repeat(64)}"`),
      );
      const check = await guideCommand("loragate check my-registry");
      expect(check.code).toBe(0);
      expect(check.stdout).not.toContain("warning");

      // ... pushed to the registry's repository (GitHub's stand-in)
      const github = new FakeGitHub();
      const files = (root: string) =>
        new Map([...readTree(root)].filter((entry): entry is [string, Buffer] => Buffer.isBuffer(entry[1])));
      const baseSha = github.commit(files(registry));
      github.labels.set(42, ["adapter-proposal", "approved"]); // the proposal the adapter cites

      // 2. Register the App: the manifest page from app.yml, under the operator's name and URL ...
      const page = await guideCommand(
        "loragate app-manifest --name loragate-my-org --webhook-url https://YOUR-HOST/api/github/webhooks --out register-app.html",
      );
      expect(page.code).toBe(0);
      const form = readFileSync(names["register-app.html"]!, "utf8");
      const appManifest = JSON.parse(
        /name="manifest" value="([^"]*)"/
          .exec(form)![1]!
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, "&"),
      );
      const appYml = parseDocument(readFileSync(join(repo, "app.yml"), "utf8")).toJS();
      expect(appManifest).toMatchObject({
        name: "loragate-my-org",
        default_permissions: appYml.default_permissions,
        default_events: appYml.default_events,
      });
      // ... the guide's table says each permission at the level app.yml asks, and each event
      const permissionNames: Record<string, string> = {
        checks: "Checks",
        actions: "Actions",
        contents: "Contents",
        pull_requests: "Pull requests",
        issues: "Issues",
        members: "Members (organization)",
        metadata: "Metadata",
      };
      for (const [key, level] of Object.entries(appYml.default_permissions as Record<string, string>))
        expect(guide).toMatch(
          new RegExp(
            `^\\| ${permissionNames[key]!.replace(/[()]/g, "\\$&")} +\\| ${level === "write" ? "read & write" : "read"} +\\|`,
            "m",
          ),
        );
      for (const event of appYml.default_events as string[])
        expect(guide).toMatch(
          new RegExp(`^\\| ${event.replace("_", " ").replace(/^./, (c) => c.toUpperCase())} +\\|`, "m"),
        );
      // ... and GitHub's answer to the code traded by the guide's own lines into app.pem and .env
      writeFileSync(
        join(work, "app.json"),
        JSON.stringify({ id: 1, slug: "loragate-my-org", pem: privateKey, webhook_secret: SECRET }),
      );
      const shellLines = guide.split("\n").filter((line) => /^(node -e |rm app\.json$)/.test(line));
      expect(shellLines).toHaveLength(2);
      for (const line of shellLines) execFileSync("bash", ["-eo", "pipefail", "-c", line], { cwd: work });
      expect(readFileSync(join(work, "app.pem"), "utf8")).toBe(privateKey);

      // 4. Deploy the app: started in the folder that holds .env.
      const stub = await startGitHub(github.route);
      server = stub.server;
      app = await startApp(
        { APP_ID: undefined, PRIVATE_KEY: undefined, WEBHOOK_SECRET: undefined },
        stub.port,
        work,
      );
      expect(app.log()).not.toContain("does not start");

      // 7. A contributor follows CONTRIBUTING.md: the adapter's folder, checked before the push.
      expect(readFileSync(join(registry, "CONTRIBUTING.md"), "utf8")).toContain(
        "loragate check . --adapter my-adapter",
      );
      const adapterDir = join(registry, "adapters", "math-gsm8k");
      cpSync(join(FIXTURE_ROOT, "adapters", "math-gsm8k"), adapterDir, { recursive: true });
      const manifest = join(adapterDir, "adapter.yaml");
      // this registry has no other domains' benchmarks yet
      writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/^ood_benchmarks: .*\n/m, ""));
      const contributorCheck = await guideCommand("loragate check my-registry --adapter NAME");
      expect(contributorCheck.code).toBe(0);
      expect(contributorCheck.stdout).toContain("✓ math-gsm8k: 0 errors");

      // ... and opens the pull request: validated, sent to the GPU
      const head = github.commit(files(registry), baseSha);
      const adapterFiles = [...files(registry).keys()].filter((path) => path.startsWith("adapters/"));
      github.pulls.set(7, { head, base: baseSha, association: "OWNER", files: adapterFiles });
      const opened = pullRequestPayload("opened");
      opened.number = opened.pull_request.number = 7;
      opened.pull_request.head.sha = head;
      opened.pull_request.base.sha = baseSha;
      opened.pull_request.author_association = "OWNER";
      expect((await deliver(app, "pull_request", opened)).status).toBe(200);
      const checkOf = (name: string) => github.checks.findLast((c) => c.head_sha === head && c.name === name);
      const until = (what: () => unknown) => expect.poll(what, { timeout: scaled(60_000), interval: 100 });
      await until(() => github.dispatches.length).toBe(1);
      expect(checkOf("loragate/validate")).toMatchObject({ status: "completed", conclusion: "success" });

      // the GPU workflow's run ends with its results: the bar passes, one scorecard
      const [run] = github.runs;
      const results = await completeForFixture({ ...sampleResults(), head_sha: head }, registry);
      github.artifacts.set(
        run!.id,
        Buffer.from(zipSync({ "results.json": Buffer.from(JSON.stringify(results)) })),
      );
      Object.assign(run!, { status: "completed", conclusion: "success" });
      const completed = workflowRunPayload(correlationId(7, head), "success");
      Object.assign(completed.workflow_run, {
        id: run!.id,
        event: "workflow_dispatch",
        head_branch: github.branch,
      });
      completed.repository.default_branch = github.branch;
      await deliver(app, "workflow_run", completed);
      await until(() => checkOf("loragate/bar")?.conclusion).toBe("success");
      const scorecards = () =>
        github.comments.filter((c) => c.issue === 7 && c.body.includes("loragate scorecard"));
      await until(() => scorecards().length).toBe(1);

      // merged: the app records the adapter in registry.yaml, the pins kept as pin-base wrote them
      const closed = mergedPayload(7, head, github.branch);
      await deliver(app, "pull_request", closed);
      await until(() => github.commits).toBe(1);
      const merged = parseDocument(github.fileAt(github.head, "registry.yaml")!.toString()).toJS();
      expect(merged.adapters["math-gsm8k"]).toMatchObject({
        domain: "math",
        active: true,
        provenance: { pr: 7, head_sha: head },
      });
      expect(merged.base.training).toMatchObject({ revision: REVISION, files: expect.objectContaining({}) });
      expect(Object.keys(merged.base.training.files)).toEqual(Object.keys(base.hf).sort());
    });
  },
);
