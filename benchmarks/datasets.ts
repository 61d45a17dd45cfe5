/** Seeded generation of large benchmark inputs, written once to benchmarks/.data (git-ignored). */
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateCorpus, type Planted } from "../fixtures/contamination-corpus.ts";
import { int, mulberry32, pick } from "../fixtures/data.ts";

export const DATA_DIR = join(import.meta.dirname, ".data");

const WORDS =
  "the a of to and in is that for on with as was at by an be this from or have not are but had they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three".split(
    " ",
  );

/** A training set of about `targetBytes`, one realistic example per line. */
export async function ensureTrainingFile(targetBytes: number, name: string): Promise<string> {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, name);
  if (existsSync(path) && statSync(path).size >= targetBytes) return path;
  const rng = mulberry32(1);
  const out = createWriteStream(path);
  let written = 0;
  const sentence = (n: number) => Array.from({ length: n }, () => pick(rng, WORDS)).join(" ");
  while (written < targetBytes) {
    let batch = "";
    for (let i = 0; i < 2000; i++) {
      batch += `${JSON.stringify({ instruction: `Answer the question. ${sentence(int(rng, 4, 10))}?`, input: `${sentence(int(rng, 10, 30))} ${int(rng, 1, 999)}.`, output: `${sentence(int(rng, 8, 24))}. The answer is ${int(rng, 1, 9999)}.` })}\n`;
    }
    written += Buffer.byteLength(batch);
    if (!out.write(batch)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(r));
  return path;
}

/** `lines` lines that each fail validation: halves of `{}` and of a number where a string belongs. */
export function ensureInvalidFile(lines: number): string {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `invalid-${lines}.jsonl`);
  if (!existsSync(path)) {
    const half = lines / 2;
    writeFileSync(
      path,
      `${"{}\n".repeat(half)}${'{"instruction": 1, "input": "", "output": "x"}\n'.repeat(half)}`,
    );
  }
  return path;
}

/** The seeded contamination corpus as JSONL files (training set, benchmark items) plus where copies were planted. */
export async function ensureCorpusFiles(
  params: { seed: number; items: number; clean: number; perKind: number },
  name: string,
): Promise<{ train: string; items: string; planted: Planted[] }> {
  mkdirSync(DATA_DIR, { recursive: true });
  const train = join(DATA_DIR, `corpus-${name}-train.jsonl`);
  const items = join(DATA_DIR, `corpus-${name}-items.jsonl`);
  const planted = join(DATA_DIR, `corpus-${name}-planted.json`);
  if (!existsSync(planted)) {
    const corpus = generateCorpus(params);
    const out = createWriteStream(train);
    for (let i = 0; i < corpus.training.length; i += 10_000) {
      const batch = corpus.training
        .slice(i, i + 10_000)
        .map((e) => `${JSON.stringify(e)}\n`)
        .join("");
      if (!out.write(batch)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    await new Promise<void>((r) => out.end(r));
    writeFileSync(items, `${corpus.items.map((i) => JSON.stringify(i)).join("\n")}\n`);
    writeFileSync(planted, JSON.stringify(corpus.planted));
  }
  return { train, items, planted: JSON.parse(readFileSync(planted, "utf8")) as Planted[] };
}
