/**
 * `npm run bench -- training`: runners/trainer/train.py against a plain PEFT loop (the anchor) on CPU,
 * with the same tiny base, LoRA recipe, tokens, batch size and optimizer: wall time, tokens per second,
 * peak memory and both loss curves. Two shapes: the fixture's tiny base (64 wide, where Python overhead
 * dominates) and a small one (256 wide, 4 layers, a vocabulary of some thousand tokens). Each side runs
 * ROUNDS times, alternating with the other, each run in a fresh process; the medians are compared and
 * the min and max printed beside them, so one slow run moves no figure. Needs the trainer's environment.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkoutTrainerPython } from "../src/action/train-adapter.ts";
import { tinyBase } from "../src/gguf/tiny-base.ts";
import { TINY_SHAPE, type TinyLlamaShape } from "../src/gguf/tiny-llama.ts";
import { wordProblems } from "../fixtures/contamination-corpus.ts";
import { mulberry32 } from "../src/core/random.ts";
import type { Figure } from "./figures.ts";

const root = join(import.meta.dirname, "..");
const python = checkoutTrainerPython(root);

const SHAPES: { name: string; shape: TinyLlamaShape; merges: number; epochs: number }[] = [
  { name: "tiny", shape: TINY_SHAPE, merges: 600, epochs: 3 },
  {
    name: "small",
    shape: { embedding: 256, layers: 4, heads: 8, kvHeads: 4, feedForward: 768, contextLength: 2048 },
    merges: 8000,
    epochs: 1,
  },
];

interface Run {
  mode: string;
  wall_seconds: number;
  tokens_per_second: number;
  peak_rss_mb: number;
  final_loss: number;
  loss: number[];
}

/** Runs of each side, alternating: enough for a median that one disturbed run cannot move. */
const ROUNDS = 3;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[Math.floor(middle)]!;
};

/** A figure as the median of its runs, with the range they spanned. */
const spread = (xs: number[]) => ({
  median: Number(median(xs).toFixed(4)),
  min: Math.min(...xs),
  max: Math.max(...xs),
});

export async function benchTraining(): Promise<Record<string, unknown>> {
  return {
    what: `train.py vs a plain PEFT loop on CPU: 500 examples, batch 4, r 16, all 7 projections, ${ROUNDS} alternating runs of each (median, min, max); final loss = the trained adapter's mean answer loss over the 500 examples`,
    shapes: await measureTraining({ shapes: SHAPES, examples: 500, rounds: ROUNDS }),
  };
}

/** The quick mode's figure: the fixture-sized base, 100 examples, one epoch, two runs of each side. */
export async function quickTraining(): Promise<Figure[]> {
  if (!existsSync(python)) {
    if (process.env.LORAGATE_REQUIRE_TRAINER) throw new Error(`no trainer environment at ${python}`);
    console.log(`training: skipped, no trainer environment at ${python} (npm run trainer:setup)`);
    return [];
  }
  const shapes = await measureTraining({
    shapes: [{ ...SHAPES[0]!, epochs: 1 }],
    examples: 100,
    // two rounds moved the figure 1.45-2.2x between runs under load; three, each its own ratio
    rounds: 3,
    // one thread each: torch's spinning threads on a loaded machine move one side more than the other
    threads: 1,
  });
  const { median: value, all } = (shapes.tiny as { speedup_per_round: { median: number; all: number[] } })
    .speedup_per_round;
  return [
    {
      name: "training.speedup_vs_plain_loop",
      what: "train.py vs a plain PEFT loop, fixture-sized base, 100 examples, one epoch, on one thread (median of 3 rounds, each plain and train.py back to back, alternating)",
      value,
      rounds: all,
      better: "higher",
    },
  ];
}

async function measureTraining(p: {
  shapes: typeof SHAPES;
  examples: number;
  rounds: number;
  /** Torch's threads (OMP_NUM_THREADS); its default (the cores) when absent. */
  threads?: number;
}): Promise<Record<string, unknown>> {
  if (!existsSync(python)) throw new Error(`no trainer environment at ${python}: npm run trainer:setup`);
  const dir = mkdtempSync(join(tmpdir(), "loragate-bench-training-"));
  try {
    // Examples of one to six word problems' text (about 50 to 400 tokens) with a one-sentence
    // answer: lengths vary as the workload does (64-384 tokens)
    const problems = wordProblems(7, 6 * p.examples);
    const random = mulberry32(3);
    const examples = Array.from({ length: p.examples }, (_, i) => {
      const parts = problems.slice(i * 6, i * 6 + 1 + Math.floor(random() * 6));
      const answer = parts.at(-1)!.output;
      return {
        instruction: parts[0]!.instruction,
        input: parts.map((p) => p.input).join(" "),
        output: `Adding the amounts in the order given and checking the units, the result is ${answer}. The answer is ${answer}.`,
      };
    });
    const dataset = join(dir, "dataset.jsonl");
    writeFileSync(dataset, `${examples.map((e) => JSON.stringify(e)).join("\n")}\n`);
    const corpus = examples.map((e) => `${e.instruction}\n\n${e.input}\n${e.output}`);

    const shapes: Record<string, unknown> = {};
    for (const { name, shape, merges, epochs } of p.shapes) {
      const base = tinyBase({ architecture: "qwen3", corpus, merges, shape });
      const folder = join(dir, name);
      mkdirSync(folder, { recursive: true });
      for (const [file, bytes] of Object.entries(base.hf)) writeFileSync(join(folder, file), bytes);
      const recipe = join(dir, `${name}-recipe.json`);
      writeFileSync(
        recipe,
        JSON.stringify({
          base_model: folder,
          dataset,
          output_dir: join(dir, `${name}-out`),
          r: 16,
          alpha: 64,
          dropout: 0.05,
          target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
          epochs,
          learning_rate: 1e-3,
          batch_size: 4,
          max_seq_length: 1024,
          seed: 42,
          quantize_4bit: false,
        }),
      );
      const runs: Run[] = [];
      const order = Array.from({ length: p.rounds }, (_, round) =>
        round % 2 === 0 ? ["plain", "train.py"] : ["train.py", "plain"],
      ).flat();
      for (const mode of order) {
        const out = execFileSync(python, [join(import.meta.dirname, "training_child.py"), mode, recipe], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
          maxBuffer: 1 << 26,
          env: p.threads ? { ...process.env, OMP_NUM_THREADS: String(p.threads) } : undefined,
        });
        runs.push(JSON.parse(out.trim().split("\n").at(-1)!) as Run);
        const last = runs.at(-1)!;
        console.log(
          `${name} ${mode}: ${last.wall_seconds} s, ${last.tokens_per_second} tokens/s, ${last.peak_rss_mb} MB`,
        );
      }
      const of = (mode: string) => runs.filter((r) => r.mode === mode);
      const summary = (mode: string) => ({
        runs: of(mode).length,
        wall_seconds: spread(of(mode).map((r) => r.wall_seconds)),
        tokens_per_second: spread(of(mode).map((r) => r.tokens_per_second)),
        peak_rss_mb: spread(of(mode).map((r) => r.peak_rss_mb)),
        final_loss: median(of(mode).map((r) => r.final_loss)),
        steps: of(mode)[0]!.loss.length,
      });
      const ours = summary("train.py");
      const anchor = summary("plain");
      // each round's own ratio: the spread of the speed-up, not only of each side
      const ratios = of("plain").map((plain, i) => plain.wall_seconds / of("train.py")[i]!.wall_seconds);
      shapes[name] = {
        shape: { ...shape, vocabulary: base.tokenizer.tokens.length },
        epochs,
        train_py: ours,
        plain_peft_loop: anchor,
        speedup_vs_anchor: Number((anchor.wall_seconds.median / ours.wall_seconds.median).toFixed(2)),
        speedup_per_round: {
          min: Number(Math.min(...ratios).toFixed(2)),
          max: Number(Math.max(...ratios).toFixed(2)),
          median: Number(median(ratios).toFixed(2)),
          all: ratios.map((r) => Number(r.toFixed(2))),
        },
        final_loss_difference: Number(((ours.final_loss - anchor.final_loss) / anchor.final_loss).toFixed(4)),
        loss_curves: { train_py: of("train.py")[0]!.loss, plain: of("plain")[0]!.loss },
      };
    }
    return shapes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
