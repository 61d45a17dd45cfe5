import { z } from "zod";
import { MaxTokensSchema } from "./common.ts";

/** An inclusive numeric range a registry allows for one hyperparameter. */
const range = (min: number, max: number, what: string) =>
  z
    .object({
      min: z.number().describe(`Smallest allowed ${what}.`).default(min),
      max: z.number().describe(`Largest allowed ${what}.`).default(max),
    })
    .strict()
    .default({ min, max })
    .describe(`Allowed range of ${what}; adapter.yaml values outside it are errors.`);

const HyperparameterLimitsSchema = z
  .object({
    r: range(4, 64, "LoRA rank r"),
    alpha: range(1, 128, "LoRA alpha"),
    dropout: range(0, 0.5, "LoRA dropout"),
    epochs: range(1, 10, "training epochs"),
    learning_rate: range(1e-6, 1e-3, "learning rate"),
    batch_size: range(1, 64, "per-step batch size"),
    max_seq_length: range(128, 4096, "maximum sequence length in tokens"),
    target_modules: z
      .array(z.string())
      .default(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
      .describe("Projection modules an adapter may target."),
  })
  .strict()
  .prefault({});

const maxDegradationPoints = z
  .number()
  .min(0)
  .max(100)
  // hundredths keep the rule's comparison in whole numbers (drop-rule.ts)
  .refine((x) => Math.abs(x * 100 - Math.round(x * 100)) < 1e-9, "must be a multiple of 0.01")
  .default(5)
  .describe(
    "Largest allowed drop, in percentage points, of the adapter's score below the base's: a drop fails when it exceeds this and the one-sided exact sign test on the changed items shows it at drop_rule.alpha.",
  );

const BarSchema = z
  .object({
    min_train_examples: z
      .number()
      .int()
      .min(1)
      .default(500)
      .describe("Fewest unique training examples an adapter must ship (LocoLLM: 500)."),
    min_benchmark_items: z
      .number()
      .int()
      .min(1)
      .default(50)
      .describe("Fewest items the adapter's own held-out benchmark must have (LocoLLM: 50)."),
    domain: z
      .object({
        must_beat_base: z
          .boolean()
          .default(true)
          .describe("The adapter must score above the base model on its own domain."),
        max_p_value: z
          .number()
          .gt(0)
          .lt(1)
          .default(0.05)
          .describe("Largest p-value of the paired test (McNemar exact) that counts as a real improvement."),
        max_degradation_points: maxDegradationPoints.describe(
          "Largest allowed drop, in percentage points, on the registry's own benchmark of the adapter's domain: a contributor's benchmark never outvotes the maintainers'.",
        ),
        require_registry_gain: z
          .boolean()
          .optional()
          .describe(
            "The gain must also show (above the base, at max_p_value) on the registry's benchmark of the domain, not only on the adapter's own benchmark. Unset: yes where the registry has a benchmark of the domain (an adapter answering one constant string then cannot pass on its own benchmark alone), no where it has none; true also fails an adapter whose domain has none.",
          ),
        planned_gain_points: z
          .number()
          .gt(0)
          .max(100)
          .default(22)
          .describe(
            "The in-domain gain, in points, a benchmark must be large enough to detect at max_p_value with 80% power; `check` warns about a smaller benchmark. 22 by default: the bar's minimum of 50 items detects 21.8 points by McNemar's exact test.",
          ),
      })
      .strict()
      .prefault({})
      .describe("Rules on the adapter's domain: its own benchmark and the registry's benchmark of that domain."),
    out_of_domain: z
      .object({
        max_degradation_points: maxDegradationPoints,
        benchmarks: z
          .array(z.string().min(1).max(64))
          .max(100)
          .optional()
          .describe(
            "The registry benchmarks every adapter is checked against for degradation (its own domain's aside). Absent: every registry benchmark outside the adapter's domain. An adapter's ood_benchmarks can add to them, never remove one.",
          ),
      })
      .strict()
      .prefault({})
      .describe("Rule on the other domains' benchmarks, and which ones apply."),
    hidden: z
      .object({
        max_degradation_points: maxDegradationPoints,
        benchmarks: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe("How many hidden benchmarks the runners hold: results with fewer are incomplete and fail."),
      })
      .strict()
      .prefault({})
      .describe("Rule on the maintainers' hidden benchmarks."),
    drop_rule: z
      .object({
        alpha: z
          .number()
          .gt(0)
          .lt(0.5)
          .default(0.05)
          .describe(
            "Largest chance that an adapter that changes nothing fails a drop rule (the one-sided level of the exact sign test on the items whose score changed), at every benchmark size.",
          ),
        false_pass: z
          .number()
          .gt(0)
          .lt(1)
          .default(0.2)
          .describe(
            "Largest chance that an adapter costing twice a limit passes it, at the benchmark size `check` asks of the maintainers' benchmarks.",
          ),
        discordance: z
          .number()
          .gt(0)
          .max(1)
          .default(0.25)
          .describe("Share of items whose score changes, assumed when sizing benchmarks and stating their error rates."),
      })
      .strict()
      .prefault({})
      .describe("How the drop rules (domain, out_of_domain, hidden) decide on noisy scores, and their error rates."),
    seeds: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(1)
      .describe(
        "Trainings per evaluation, each with its own seed (recipe seed, seed + 1, ...): every rule must hold for every seed.",
      ),
    upgrade: z
      .object({
        must_beat_current_version: z
          .boolean()
          .default(true)
          .describe("A new version of an adapter must score at least as well as the version it replaces."),
      })
      .strict()
      .prefault({})
      .describe("Rule for new versions of an existing adapter."),
    router: z
      .object({
        max_stolen_share: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe(
            "Largest share of another adapter's benchmark an adapter's keywords may route to itself; above it the finding is an error (absent: always a warning).",
          ),
        min_own_share: z
          .number()
          .min(0)
          .max(1)
          .default(0.5)
          .describe("Smallest share of its own domain's items the router should send to an adapter; below it, a warning."),
      })
      .strict()
      .prefault({})
      .describe("Rules on where the registry's router sends each benchmark's items (router: keywords)."),
  })
  .strict()
  .prefault({})
  .describe("The evaluation bar: what an adapter must show to be merged.");

export const ContaminationConfigSchema = z
  .object({
    containment: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe("Share of a benchmark item's word n-grams found in one training example that flags it."),
    jaccard: z
      .number()
      .gt(0)
      .max(1)
      .default(0.8)
      .describe("Jaccard similarity of the word n-gram sets of an example and an item that flags it."),
    ngram: z.number().int().min(1).max(8).default(3).describe("Words per n-gram (shingle)."),
    boilerplate: z
      .object({
        train_share: z
          .number()
          .gt(0)
          .max(1)
          .default(0.1)
          .describe("An n-gram in at least this share of the training examples is a template: it never matches."),
        benchmark_share: z
          .number()
          .gt(0)
          .max(1)
          .default(0.5)
          .describe("An n-gram in at least this share of all benchmark items is a template: it never matches."),
      })
      .strict()
      .prefault({})
      .describe("How templates and common phrases are told apart from leaks."),
  })
  .strict()
  .prefault({})
  .describe("Thresholds of the contamination check (defaults measured in benchmarks/results/contamination.json).");

export type ContaminationConfig = z.infer<typeof ContaminationConfigSchema>;

export const GpuConfigSchema = z
  .object({
    runner_labels: z
      .array(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/))
      .min(1)
      .default(["self-hosted", "linux", "gpu"])
      .describe("Labels of the self-hosted runners that train and evaluate."),
    trusted: z
      .array(z.enum(["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "NONE"]))
      .default(["OWNER", "MEMBER", "COLLABORATOR"])
      .describe("PR author associations whose PRs reach a GPU without a maintainer's `/loragate approve`."),
    shards: z
      .object({
        answers_per_runner: z
          .number()
          .int()
          .min(1)
          .default(20_000)
          .describe(
            "Answers one runner generates (items x (1 + bar.seeds)); an evaluation with more is spread over a matrix of runners.",
          ),
        max_runners: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(8)
          .describe("Most runners one evaluation is spread over (1: never spread)."),
      })
      .strict()
      .prefault({})
      .describe("When the evaluate workflow fans out over several runners, each evaluating a shard of the items."),
  })
  .strict()
  .prefault({})
  .describe("Who and what may use the GPU runners.");

const LimitsSchema = z
  .object({
    max_file_bytes: z
      .number()
      .int()
      .min(1)
      .default(104_857_600)
      .describe("Largest file in an adapter folder, in bytes (default 100 MiB)."),
    max_line_bytes: z
      .number()
      .int()
      .min(64)
      .default(1_048_576)
      .describe("Longest JSONL line, in bytes; longer lines are reported and skipped (default 1 MiB)."),
    max_train_examples: z
      .number()
      .int()
      .min(1)
      .default(1_000_000)
      .describe("Most training examples one adapter may ship."),
    hyperparameters: HyperparameterLimitsSchema.describe("Allowed ranges of the training recipe."),
  })
  .strict()
  .prefault({})
  .describe("Size and recipe limits.");

/** `.github/loragate.yml`: every key optional; the defaults are LocoLLM's evaluation standards. */
export const ConfigSchema = z
  .object({
    bar: BarSchema,
    contamination: ContaminationConfigSchema,
    gpu: GpuConfigSchema,
    limits: LimitsSchema,
    evaluation: z
      .object({
        max_tokens: MaxTokensSchema
          .default(512)
          .describe(
            "Token budget of one answer on the maintainers' benchmarks (the registry's, out-of-domain and hidden ones) that registry.yaml does not set per benchmark (LocoLLM's standard: 512). An adapter's evaluation.max_tokens reaches only its own benchmark.",
          ),
      })
      .strict()
      .prefault({})
      .describe("How the maintainers' benchmarks are asked."),
    router: z
      .enum(["keywords", "none"])
      .optional()
      .describe(
        "How the registry's runtime picks an adapter for a query: keywords (LocoLLM's router_keywords rule) or none. Absent: keywords when an adapter has router_keywords.",
      ),
    proposals: z
      .enum(["required", "advisory", "off"])
      .default("advisory")
      .describe("Whether an adapter PR must cite an approved proposal issue (required: an error; advisory: a warning)."),
  })
  .strict()
  .describe("loragate settings for one registry (.github/loragate.yml).");

export type Config = z.infer<typeof ConfigSchema>;

export const DEFAULT_CONFIG: Config = ConfigSchema.parse({});
