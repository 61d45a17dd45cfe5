import { zipSync } from "fflate";
import { sampleResults } from "../../fixtures/sample-results.ts";
import { correlationId } from "../../src/core/review/correlation.ts";
import { FakeGitHub } from "./fake-github.ts";
import examples from "@octokit/webhooks-examples";
import { completeForFixture, FIXTURE_ROOT, readTree } from "./registry.ts";

// A PR's journey on the GitHub stand-in: opened, its GPU run finished, merged. The payloads are what
// GitHub would send for each step; what the app leaves behind is read from the stand-in.
const ADAPTER = "adapters/math-gsm8k/";
const fixture = new Map(
  [...readTree(FIXTURE_ROOT)].filter((entry): entry is [string, Buffer] => Buffer.isBuffer(entry[1])),
);

/** An example delivery of @octokit/webhooks-examples, from installation 1 (no vitest here: benchmarks use it). */
function example(event: string, action: string) {
  const sections = examples as unknown as { name: string; examples: Record<string, unknown>[] }[];
  const payload = structuredClone(
    sections.find((e) => e.name === event)!.examples.find((e) => e.action === action)!,
  );
  payload.installation = { id: 1 };
  return payload as {
    number: number;
    before?: string;
    pull_request: {
      number: number;
      head: { sha: string };
      base: { sha: string; ref?: string };
      author_association: string;
      merged?: boolean;
    };
    workflow_run: Record<string, unknown>;
    repository: Record<string, unknown>;
  };
}

/** A GitHub stand-in holding the fixture registry on its default branch, and the steps of PRs on it. */
export function registryOnGitHub() {
  const github = new FakeGitHub();
  const baseSha = github.commit(new Map([...fixture].filter(([path]) => !path.startsWith(ADAPTER))));
  github.labels.set(42, ["adapter-proposal", "approved"]); // the proposal the fixture adapter cites
  /** A PR adding the fixture adapter, its head a commit of its own; the `opened` delivery. */
  const openPullRequest = (number: number) => {
    const files = new Map(fixture);
    const head = github.commit(files, baseSha);
    const changed = [...files.keys()].filter((path) => path.startsWith(ADAPTER));
    github.pulls.set(number, { head, base: baseSha, association: "OWNER", files: changed });
    const payload = example("pull_request", "opened");
    payload.number = payload.pull_request.number = number;
    payload.pull_request.head.sha = head;
    payload.pull_request.base.sha = baseSha;
    payload.pull_request.author_association = "OWNER";
    payload.repository.default_branch = github.branch;
    return { number, head, payload };
  };
  /** The PR's dispatched run finishes with passing results: the `workflow_run.completed` delivery. */
  const finishRun = async (pr: { number: number; head: string }) => {
    const run = github.runs.find((r) => r.display_title.includes(correlationId(pr.number, pr.head)))!;
    const results = await completeForFixture({ ...sampleResults(), head_sha: pr.head });
    github.artifacts.set(
      run.id,
      Buffer.from(zipSync({ "results.json": Buffer.from(JSON.stringify(results)) })),
    );
    Object.assign(run, { status: "completed", conclusion: "success" });
    const completed = example("workflow_run", "completed");
    Object.assign(completed.workflow_run, {
      id: run.id,
      display_title: `loragate ${correlationId(pr.number, pr.head)}`,
      path: ".github/workflows/loragate.yml",
      conclusion: "success",
      event: "workflow_dispatch",
      head_branch: github.branch,
    });
    completed.repository.default_branch = github.branch;
    return completed;
  };
  /** The PR is merged: the `pull_request.closed` delivery. */
  const merge = (pr: { number: number; head: string }) => {
    github.pulls.get(pr.number)!.merged = true;
    const closed = example("pull_request", "closed");
    Object.assign(closed.pull_request, {
      merged: true,
      number: pr.number,
      head: { ...closed.pull_request.head, sha: pr.head },
    });
    closed.pull_request.base.ref = github.branch;
    closed.number = pr.number;
    closed.repository.default_branch = github.branch;
    return closed;
  };
  const checksOf = (head: string, name: string) =>
    github.checks.filter((c) => c.head_sha === head && c.name === name);
  /** What GitHub holds for a PR, in the terms the issue counts. */
  const stateOf = (pr: { number: number; head: string }) => ({
    validate: checksOf(pr.head, "loragate/validate").map((c) => c.conclusion),
    evaluate: checksOf(pr.head, "loragate/evaluate").map((c) => c.conclusion ?? c.status),
    bar: checksOf(pr.head, "loragate/bar").map((c) => c.conclusion ?? c.status),
    dispatches: github.dispatches.filter((d) => d.head_sha === pr.head).length,
    scorecards: github.comments.filter((c) => c.issue === pr.number && c.body.includes("loragate scorecard"))
      .length,
  });
  return { github, openPullRequest, finishRun, merge, checksOf, stateOf };
}
