// The anchor: the npm `minhash` package doing MinHash (128 permutations) + LSH alone, on the same
// files and the same word 3-grams. Its LshIndex.query throws when a band of the query is absent
// from the index (which is the normal case), so each query is wrapped; those count as "no match".
// Usage: node benchmarks/minhash-child.mjs TRAIN.jsonl ITEMS.jsonl [maxExamples]
import { readFileSync } from "node:fs";
import mh from "minhash";

const [trainPath, itemsPath, max] = process.argv.slice(2);
const shingles = (text) => {
  const w = text
    .toLowerCase()
    .replace(/\d+/g, "0")
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const out = new Set();
  for (let i = 0; i + 3 <= w.length; i++) out.add(`${w[i]} ${w[i + 1]} ${w[i + 2]}`);
  return out;
};
const lines = (path) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const items = lines(itemsPath);
const training = lines(trainPath).slice(0, max ? Number(max) : undefined);
const start = process.hrtime.bigint();
const index = new mh.LshIndex({ bandSize: 4 });
for (const item of items) {
  const m = new mh.Minhash({ numPerm: 128 });
  for (const s of shingles(`${item.input}\n${item.expected_output}`)) m.update(s);
  index.insert(item.id, m);
}
let candidates = 0;
let threw = 0;
for (const ex of training) {
  const m = new mh.Minhash({ numPerm: 128 });
  for (const s of shingles(`${ex.input}\n${ex.output}`)) m.update(s);
  try {
    candidates += index.query(m).length;
  } catch {
    threw++;
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(
  JSON.stringify({
    seconds,
    docs: items.length + training.length,
    docsPerSecond: (items.length + training.length) / seconds,
    candidates,
    queriesThatThrew: threw,
  }),
);
