/**
 * Reading results.json out of a workflow run's artifact: GitHub answered by nock; zips built with
 * fflate, some with headers that lie about the size of what they hold.
 */
import { Octokit } from "@octokit/rest";
import { zipSync } from "fflate";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { downloadResults } from "../src/github/artifacts.ts";
import { API, REPO, useNock } from "./support/github.ts";

useNock();
const github = new Octokit({ auth: "t", request: { retries: 0 } });
const repo = { owner: "Codertocat", repo: "Hello-World" };

function serve(zip: Uint8Array): nock.Scope {
  return nock(API)
    .get(`/repos/${REPO}/actions/runs/7/artifacts`)
    .query({ per_page: 100 })
    .reply(200, {
      total_count: 1,
      artifacts: [{ id: 5, name: "loragate-results", size_in_bytes: zip.length, expired: false }],
    })
    .get(`/repos/${REPO}/actions/artifacts/5/zip`)
    .reply(200, () => Buffer.from(zip), { "content-type": "application/zip" });
}

/** The zip with results.json's uncompressed size rewritten in its local and central headers. */
function claimSize(zip: Uint8Array, size: number): Uint8Array {
  const out = Buffer.from(zip);
  for (let at = 0; at + 4 <= out.length; at++) {
    const signature = out.readUInt32LE(at);
    if (signature === 0x04034b50) out.writeUInt32LE(size, at + 22); // local file header
    if (signature === 0x02014b50) out.writeUInt32LE(size, at + 24); // central directory entry
  }
  return out;
}

describe("results.json from the run's artifact", () => {
  it("is read whole when the zip is honest", async () => {
    const results = Buffer.from(JSON.stringify({ schema_version: 1, pad: "x".repeat(100_000) }));
    const scope = serve(zipSync({ "results.json": results, "adapter.gguf": new Uint8Array(8) }));
    expect(Buffer.from(await downloadResults({ github, repo, runId: 7 })).equals(results)).toBe(true);
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ["smaller", 100, /inflates past 100 bytes \(the size its zip header declares\)/],
    ["larger", 50_000_000, /is 10000000 bytes, its zip header declares 50000000: the zip is damaged/],
  ])(
    "is refused when the header declares a %s size than it holds (never truncated in silence)",
    async (_what, size, message) => {
      const bomb = zipSync({ "results.json": new Uint8Array(10_000_000).fill(0x20) }); // 10 MB of spaces, ~10 KB zipped
      serve(claimSize(bomb, size));
      await expect(downloadResults({ github, repo, runId: 7 })).rejects.toThrow(message);
    },
  );
});
