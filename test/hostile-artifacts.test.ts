/**
 * A results artifact built to exhaust the app (issue 27, item 4): a 2 MB zip of 2 GB of zeros is
 * refused at the size cap while it inflates, not after inflating all of it (10-24 s at 6.2 GB before).
 */
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { constants, createDeflateRaw, deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { downloadResults, inflateResults } from "../src/github/artifacts.ts";
import { API, REPO, useNock } from "./support/github.ts";
import { scaled } from "./support/load.ts";

useNock();
const github = new Octokit({ auth: "t", request: { retries: 0 } });
const repo = { owner: "Codertocat", repo: "Hello-World" };
const MiB = 1 << 20;

/**
 * Raw deflate of `blocks` x 16 MiB of zeros, built from two flushed blocks: after the first, the window
 * is all zeros, so the second can be repeated (2 GiB in 2 MB, without deflating 2 GiB).
 */
async function zeroDeflate(blocks: number): Promise<Buffer> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (c: Buffer) => out.push(c));
  const zeros = Buffer.alloc(16 * MiB);
  const flushed = () =>
    new Promise<Buffer>((resolve) => {
      const from = out.length;
      deflate.write(zeros);
      deflate.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(from))));
    });
  const first = await flushed();
  const middle = await flushed();
  const ended = new Promise((resolve) => deflate.on("end", resolve));
  deflate.end();
  await ended;
  return Buffer.concat([first, ...Array<Buffer>(blocks - 1).fill(middle), ...out]);
}

/** A zip of deflated entries, each with the uncompressed size its headers declare. */
function zipOf(entries: { name: string; data: Buffer; declared: number }[]): Buffer {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, declared } of entries) {
    const file = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(file.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(file.length, 28);
    central.writeUInt32LE(offset, 42);
    parts.push(local, file, data);
    centrals.push(central, file);
    offset += local.length + file.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

function serve(zip: Uint8Array): void {
  nock(API)
    .get(`/repos/${REPO}/actions/runs/7/artifacts`)
    .query({ per_page: 100 })
    .reply(200, {
      total_count: 1,
      artifacts: [{ id: 5, name: "loragate-results", size_in_bytes: zip.length, expired: false }],
    })
    .get(`/repos/${REPO}/actions/artifacts/5/zip`)
    .reply(200, () => Buffer.from(zip), { "content-type": "application/zip" });
}

const TWO_GIB = 2 ** 31;

describe("an artifact that inflates to gigabytes is stopped at the cap as it inflates (item 4)", () => {
  it("2 GB of zeros in a 2 MB zip, the header honest: refused at the 64 MiB cap, within seconds", async () => {
    const zip = zipOf([{ name: "results.json", data: await zeroDeflate(128), declared: TWO_GIB - 1 }]);
    expect(zip.length).toBeLessThan(3 * MiB);
    serve(zip);
    const started = performance.now();
    await expect(downloadResults({ github, repo, runId: 7 })).rejects.toThrow(
      `results.json inflates past ${64 * MiB} bytes (the cap)`,
    );
    expect(performance.now() - started).toBeLessThan(scaled(8000)); // a correctness bound: was 10-24 s at 6.2 GB
  });

  it("2 GB of zeros whose header claims 1 KB: refused at the declared size", () => {
    const started = performance.now();
    return zeroDeflate(128).then((data) => {
      const zip = zipOf([{ name: "results.json", data, declared: 1024 }]);
      expect(() => inflateResults(zip)).toThrow(
        "results.json inflates past 1024 bytes (the size its zip header declares)",
      );
      expect(performance.now() - started).toBeLessThan(scaled(8000));
    });
  });

  it("a bomb in another entry is never inflated: results.json is read", async () => {
    const results = Buffer.from(JSON.stringify({ schema_version: 1 }));
    const zip = zipOf([
      { name: "adapter.gguf", data: await zeroDeflate(128), declared: TWO_GIB - 1 },
      { name: "results.json", data: deflateRawSync(results), declared: results.length },
    ]);
    const started = performance.now();
    expect(Buffer.from(inflateResults(zip)).equals(results)).toBe(true);
    expect(performance.now() - started).toBeLessThan(scaled(8000));
  });

  it("an honest results.json of 20 MiB still inflates whole, across many slices", () => {
    const results = Buffer.alloc(20 * MiB, 0x20);
    const zip = zipOf([{ name: "results.json", data: deflateRawSync(results), declared: results.length }]);
    expect(Buffer.from(inflateResults(zip)).equals(results)).toBe(true);
  });

  it("a zip cut short is refused as damaged, not read in part", () => {
    const results = Buffer.alloc(MiB, 0x41);
    const zip = zipOf([{ name: "results.json", data: deflateRawSync(results), declared: results.length }]);
    expect(() => inflateResults(zip.subarray(0, 600))).toThrow(/damaged|not a readable zip|no results\.json/);
  });
});
