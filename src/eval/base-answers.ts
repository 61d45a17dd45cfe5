/**
 * The base's answers, kept and reused. Greedy decoding makes them a pure function of what the key
 * below names, so a benchmark's base answers are generated once: across the seeds of one run (in
 * memory) and across runs (in a folder: the CLI's `--cache DIR`, the evaluate workflow's Actions cache).
 * An entry is used only when its recorded key equals the one computed now, byte for byte, and it
 * answers the very items asked, in order; anything else is generated again (and never trusted).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getModuleVersion, readGgufFileInfo } from "node-llama-cpp";
import { z } from "zod";
import { HARNESS_VERSION } from "../core/evaluation/completeness.ts";
import type { ChatMessage } from "../core/evaluation/prompt.ts";
import type { BenchmarkResult, Results } from "../core/schemas/results.ts";
import type { EvaluationHarness, Generation } from "./harness.ts";

/** The prompt rule of core/evaluation/prompt.ts; bump with any change to how an item becomes messages. */
export const PROMPT_RULE = "benchmarkMessages/1";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Everything that decides the base's greedy answers to one benchmark's items. */
export interface BaseAnswerKey {
  format: "loragate-base-answers/1";
  base_gguf_sha256: string;
  benchmark_sha256: string;
  /** The ids asked, in order: a shard asks part of a benchmark. */
  item_ids_sha256: string;
  harness: string;
  prompt_rule: { rule: string; re2: boolean };
  chat_template_sha256: string;
  /** The token ids (and stop texts) each prompt became: template, tokenizer and rule as applied. */
  prompts_sha256: string;
  decoding: {
    temperature: 0;
    top_p: 1;
    repeat_penalty: 1;
    seed: number;
    max_tokens: number;
    parallel: number;
  };
  /** llama.cpp's build and backend, and the machine: kernels differ in their last bits. */
  engine: string;
  hardware: string;
}

/** Where this store's keys differ from run to run: the base file and the machine. */
export interface KeyContext {
  chatTemplateSha256: string;
  engine: string;
  hardware: string;
}

const StoredAnswerSchema = z.object({ text: z.string(), hit_max_tokens: z.boolean() }).strict();
const EntrySchema = z
  .object({
    key: z.record(z.string(), z.unknown()),
    ids: z.array(z.string()),
    answers: z.array(StoredAnswerSchema),
    run: z.string().min(1).max(200),
    seconds: z.number().min(0),
  })
  .strict();

export interface BaseAnswerEntry {
  ids: string[];
  answers: Generation[];
  /** The run that generated them. */
  run: string;
  /** Time the base took to generate them there (the GPU time a reuse saves). */
  seconds: number;
}

export type BaseAnswerTally = NonNullable<Results["base_answers"]>;

/** What the store counted between two tallies. */
export function tallySince(now: BaseAnswerTally, before: BaseAnswerTally): BaseAnswerTally {
  return {
    passes: now.passes - before.passes,
    items_generated: now.items_generated - before.items_generated,
    items_reused: now.items_reused - before.items_reused,
    seconds_spent: now.seconds_spent - before.seconds_spent,
    seconds_saved: now.seconds_saved - before.seconds_saved,
  };
}

/** A reused or generated benchmark's answers, as results.json records them. */
export type BaseAnswerUse = NonNullable<BenchmarkResult["base_answers"]>;

/**
 * Base answers for one run: an in-memory layer (the seeds of a run), and a folder shared between runs
 * when one is given. `shared: false` entries (hidden benchmarks: their answers can quote hidden items)
 * stay in memory and never reach the folder.
 */
export class BaseAnswerStore {
  private readonly memory = new Map<string, BaseAnswerEntry>();
  /** The base's work so far in this run (results.json's base_answers counts one evaluation's share). */
  readonly tally: BaseAnswerTally = {
    passes: 0,
    items_generated: 0,
    items_reused: 0,
    seconds_spent: 0,
    seconds_saved: 0,
  };
  /** This run's name in the entries it adds (results.json keeps 200 characters). */
  readonly run: string;
  /** Entries of the folder this run read or wrote; those in the folder at all. */
  private readonly used = new Set<string>();
  private readonly shared = new Set<string>();

  constructor(
    readonly options: {
      /** The shared folder; none keeps answers for this run only. */
      dir?: string;
      /** Names this run in what it generates (e.g. the workflow run's URL). */
      run: string;
      context: KeyContext;
      /** Why an entry in the folder was not used (a different key, a damaged file). */
      onSkip?: (message: string) => void;
    },
  ) {
    this.run = options.run.slice(0, 200);
  }

  /**
   * Leaves in the folder only the entries this run used, and names what is left: the Actions cache
   * key the workflow saves the folder under (`prefix` and the sha256 of the entries' own key digests). A shared
   * cache thus holds one registry state's answers, not every pull request's own benchmark forever.
   */
  prune(prefix: string): string | undefined {
    const { dir } = this.options;
    if (!dir) return undefined;
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      return undefined; // nothing kept, nothing to save
    }
    for (const file of files)
      if (!this.used.has(file.replace(/\.json$/, "")))
        rmSync(join(dir, file), { force: true, recursive: true });
    if (this.used.size === 0) return undefined;
    return `${prefix}${sha256([...this.used].sort().join("\n"))}`;
  }

  /** The key of a benchmark's items as this harness would ask them now. */
  keyFor(params: {
    harness: EvaluationHarness;
    benchmarkSha256: string;
    ids: readonly string[];
    prompts: readonly (readonly ChatMessage[])[];
    settings: {
      maxTokens: number;
      seed: number;
      parallel: number;
      re2: boolean;
      thinking?: { enabled: boolean };
    };
  }): BaseAnswerKey {
    const { harness, settings } = params;
    const rendered = createHash("sha256");
    for (const prompt of params.prompts) {
      // the ids already hold the thinking mode (enable_thinking changes what the template writes)
      const { tokens, stops } = harness.renderChat(prompt, { enableThinking: settings.thinking?.enabled });
      rendered.update(`${JSON.stringify({ tokens, stops })}\n`);
    }
    const { context } = this.options;
    return {
      format: "loragate-base-answers/1",
      base_gguf_sha256: harness.baseSha256,
      benchmark_sha256: params.benchmarkSha256,
      item_ids_sha256: sha256(JSON.stringify(params.ids)),
      harness: HARNESS_VERSION,
      prompt_rule: { rule: PROMPT_RULE, re2: settings.re2 },
      chat_template_sha256: context.chatTemplateSha256,
      prompts_sha256: rendered.digest("hex"),
      decoding: {
        temperature: 0,
        top_p: 1,
        repeat_penalty: 1,
        seed: settings.seed,
        max_tokens: settings.maxTokens,
        parallel: settings.parallel,
      },
      engine: context.engine,
      hardware: context.hardware,
    };
  }

  /** The entry kept under exactly this key for exactly these ids, from memory or the folder. */
  find(key: BaseAnswerKey, ids: readonly string[]): BaseAnswerEntry | undefined {
    const digest = keyDigest(key);
    const entry = this.memory.get(digest) ?? this.read(key, digest);
    if (!entry) return undefined;
    if (entry.ids.length !== ids.length || entry.ids.some((id, i) => id !== ids[i])) {
      this.options.onSkip?.(`base answers ${digest.slice(0, 12)} answer other items: generated again`);
      return undefined;
    }
    if (this.shared.has(digest)) this.used.add(digest);
    return entry;
  }

  keep(key: BaseAnswerKey, entry: BaseAnswerEntry, shared: boolean): void {
    const digest = keyDigest(key);
    this.memory.set(digest, entry);
    if (!shared || !this.options.dir) return;
    this.shared.add(digest);
    this.used.add(digest);
    const file = join(this.options.dir, `${digest}.json`);
    const temporary = `${file}.partial-${process.pid}`;
    const stored = {
      key,
      ids: entry.ids,
      answers: entry.answers.map((a) => ({ text: a.text, hit_max_tokens: a.hitMaxTokens })),
      run: entry.run,
      seconds: entry.seconds,
    };
    try {
      mkdirSync(this.options.dir, { recursive: true });
      writeFileSync(temporary, `${JSON.stringify(stored)}\n`);
      renameSync(temporary, file); // a reader sees a whole entry or none
    } catch (error) {
      // a cache that cannot keep answers costs the next run time, never this run its results
      const code = (error as NodeJS.ErrnoException).code;
      if (!code) throw error;
      this.options.onSkip?.(`base answers could not be kept in ${this.options.dir} (${code})`);
    } finally {
      rmSync(temporary, { force: true });
    }
  }

  private read(key: BaseAnswerKey, digest: string): BaseAnswerEntry | undefined {
    if (!this.options.dir) return undefined;
    let text: string;
    try {
      text = readFileSync(join(this.options.dir, `${digest}.json`), "utf8");
    } catch {
      return undefined; // not kept yet
    }
    const skip = (why: string) => {
      this.options.onSkip?.(
        `base answers ${digest.slice(0, 12)} in ${this.options.dir} ${why}: generated again`,
      );
      return undefined;
    };
    let parsed: z.infer<typeof EntrySchema>;
    try {
      const checked = EntrySchema.safeParse(JSON.parse(text));
      if (!checked.success) return skip("are not a base-answer entry");
      parsed = checked.data;
    } catch {
      return skip("are not JSON");
    }
    if (JSON.stringify(parsed.key) !== JSON.stringify(key)) return skip("were kept under another key");
    if (parsed.answers.length !== parsed.ids.length) return skip("do not answer every item");
    const entry: BaseAnswerEntry = {
      ids: parsed.ids,
      answers: parsed.answers.map((a) => ({ text: a.text, hitMaxTokens: a.hit_max_tokens })),
      run: parsed.run,
      seconds: parsed.seconds,
    };
    this.memory.set(digest, entry);
    this.shared.add(digest);
    return entry;
  }
}

/** The file name of a key: sha256 of its JSON, fields in the order BaseAnswerKey lists them. */
export const keyDigest = (key: BaseAnswerKey) => sha256(JSON.stringify(key));

/** The key context of a base GGUF: its chat template (sha256 of the text; "none" without one). */
export async function keyContextOf(params: {
  basePath: string;
  gpu: false | "auto";
  hardware: string;
}): Promise<KeyContext> {
  const info = await readGgufFileInfo(params.basePath, { logWarnings: false });
  const template = (info.metadata as { tokenizer?: { chat_template?: string } }).tokenizer?.chat_template;
  return {
    chatTemplateSha256: template === undefined ? "none" : sha256(template),
    engine: `node-llama-cpp ${await getModuleVersion()}, gpu: ${params.gpu === false ? "off" : params.gpu}`,
    hardware: params.hardware,
  };
}
