/**
 * The evaluation harness: the pinned base GGUF loaded once in llama.cpp (through node-llama-cpp),
 * answering benchmark prompts with and without LoRA adapters, greedily and in parallel sequences of
 * one context, so that many items share each forward pass.
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import {
  type ChatHistoryItem,
  type ChatWrapper,
  getLlama,
  type Llama,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
  type LlamaText,
  resolveChatWrapper,
  SpecialTokensText,
  type Token,
} from "node-llama-cpp";
import { Template } from "@huggingface/jinja";
import { EvaluationInputError, readGgufSummary } from "./gguf-file.ts";
import { sha256File } from "../io/sha256-file.ts";
import type { ChatMessage } from "../core/evaluation/prompt.ts";
import { TrainerTokenizer } from "./trainer-tokenizer.ts";

export interface Generation {
  text: string;
  /** The answer ran into the token budget instead of ending by itself. */
  hitMaxTokens: boolean;
}

export interface GenerateOptions {
  /** LoRA GGUF applied on the base; none for the base model alone. */
  adapterPath?: string;
  maxTokens: number;
  seed: number;
  /** Sequences evaluated together in one context (1 = one item at a time). */
  parallel: number;
  /** Stops between tokens (a cancelled job): generate rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The chat template's `enable_thinking` (registry.yaml base.thinking.enabled), as the trainer renders it. */
  enableThinking?: boolean;
}

export interface HarnessOptions {
  basePath: string;
  /** The registry's pin: the base is refused when its sha256 differs. */
  baseSha256?: string;
  /** CPU threads for every context; by default they follow each context's work (threadsFor). */
  threads?: number;
  /** false in tests and on CPU-only machines; "auto" picks CUDA/Vulkan/Metal where present. */
  gpu?: false | "auto";
  /** Loads the tokenizer and chat template only: renderChat works, generation does not. */
  vocabOnly?: boolean;
}

/**
 * CPU threads for a context that decodes `parallel` sequences of a model with `weightBytes` of weights.
 * On 2 cores a second thread costs ~12 ms a step here, whatever the model (llama.cpp wakes it at every
 * operation, and the VM is slow to): one token of a 1 MB model took 14 ms instead of 1.2, of a 16 MB one
 * 15 instead of 3. It pays only when a step has enough work to split: 32 sequences of 16 MB went from
 * 2.0 to 1.3 ms an item-token, of 100 MB from 9.4 to 5.0; 8 of 16 MB still lost (2.2 -> 2.7). Threads do not
 * change the answers: llama.cpp splits rows between them, never a dot product.
 */
export function threadsFor(parallel: number, weightBytes: number, cores = availableParallelism()): number {
  if (cores > 2) return cores;
  return parallel * weightBytes >= 256 * 2 ** 20 ? cores : 1;
}

/** The last lines llama.cpp logged, numbered so that a caller can ask for those since a mark. */
class LlamaLog {
  private lines: string[] = [];
  private dropped = 0;

  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 400) this.dropped += this.lines.splice(0, 100).length;
  }
  mark(): number {
    return this.dropped + this.lines.length;
  }
  since(mark: number): string[] {
    return this.lines.slice(Math.max(0, mark - this.dropped));
  }
}

/**
 * llama.cpp's log callback is process-wide: a second Llama instance would take every harness's log
 * (and drop it when disposed). So harnesses share one instance, disposed with the last of them.
 */
let shared: { gpu: false | "auto"; llama: Promise<Llama>; log: LlamaLog; users: number } | undefined;

async function acquireLlama(gpu: false | "auto"): Promise<{ llama: Llama; log: LlamaLog }> {
  if (shared && shared.gpu !== gpu)
    throw new Error(`a harness is open with gpu: ${shared.gpu}; one process evaluates on one backend`);
  if (!shared) {
    const log = new LlamaLog();
    const llama = getLlama({
      gpu,
      build: "never", // prebuilt binaries only: never compile llama.cpp at evaluation time
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => log.add(`${level}: ${message.trimEnd()}`),
    });
    shared = { gpu, llama, log, users: 0 };
  }
  const current = shared;
  current.users++;
  try {
    return { llama: await current.llama, log: current.log };
  } catch (error) {
    // llama.cpp never started: nothing to dispose, and the next harness tries afresh
    if (shared === current && --current.users === 0) shared = undefined;
    throw error;
  }
}

async function releaseLlama(): Promise<void> {
  if (!shared || --shared.users > 0) return;
  const { llama } = shared;
  shared = undefined;
  await (await llama).dispose();
}

export class EvaluationHarness {
  private constructor(
    private readonly model: LlamaModel,
    readonly architecture: string,
    readonly baseSha256: string,
    private readonly threads: number | undefined,
    private readonly log: LlamaLog,
    private readonly chatWrapper: ChatWrapper = resolveChatWrapper(model),
    private readonly tokenizer = new TrainerTokenizer(model),
    /** The GGUF's chat template, parsed once (a real family's is long: parsing it per item cost ~10 ms). */
    private readonly template = parsedTemplate(model),
    /** The chat wrapper's stop texts, which do not depend on the conversation. */
    private readonly templateStops = stopTexts(
      chatWrapper.generateContextState({ chatHistory: chatHistoryOf([{ role: "user", content: "" }]) })
        .stopGenerationTriggers,
    ),
  ) {}

  static async open(options: HarnessOptions): Promise<EvaluationHarness> {
    const summary = await readGgufSummary(options.basePath, "base model");
    if (summary.type === "adapter")
      throw new EvaluationInputError(`base model ${options.basePath} is a LoRA adapter, not a model`);
    const sha256 = await sha256File(options.basePath);
    if (options.baseSha256 && sha256 !== options.baseSha256.toLowerCase())
      throw new EvaluationInputError(
        `base model ${options.basePath} has sha256 ${sha256}, but registry.yaml pins ${options.baseSha256}: ` +
          "refusing to evaluate on a different base (update the runner's model cache)",
      );
    const { llama, log } = await acquireLlama(options.gpu ?? false);
    try {
      const model = await withLlamaLog(log, `cannot load base model ${options.basePath}`, () =>
        llama.loadModel({ modelPath: resolve(options.basePath), vocabOnly: options.vocabOnly }),
      );
      return new EvaluationHarness(model, summary.architecture, sha256, options.threads, log);
    } catch (error) {
      await releaseLlama();
      throw error;
    }
  }

  /** Checks a LoRA GGUF as an adapter for this base; returns its sha256 for results.json. */
  async checkAdapter(adapterPath: string): Promise<string> {
    await this.checkAdapterHeader(adapterPath);
    return sha256File(adapterPath);
  }

  /** That a file is a LoRA adapter for this base's architecture, from its header, before llama.cpp loads it. */
  private async checkAdapterHeader(adapterPath: string): Promise<void> {
    const summary = await readGgufSummary(adapterPath, "adapter");
    if (summary.type !== "adapter")
      throw new EvaluationInputError(`adapter ${adapterPath} is a model, not a LoRA adapter (general.type)`);
    if (summary.architecture !== this.architecture)
      throw new EvaluationInputError(
        `adapter ${adapterPath} is for ${summary.architecture}, the base is ${this.architecture}`,
      );
  }

  /** A context of `parallel` sequences with the adapter (or none) applied. */
  async createContext(options: { adapterPath?: string; parallel: number; tokensPerSequence: number }) {
    const lora = options.adapterPath ? { adapters: [{ filePath: resolve(options.adapterPath) }] } : undefined;
    return withLlamaLog(
      this.log,
      options.adapterPath ? `cannot apply adapter ${options.adapterPath}` : "cannot create a context",
      () =>
        this.model.createContext({
          sequences: options.parallel,
          contextSize: Math.min(options.tokensPerSequence, this.model.trainContextSize),
          threads: this.threads ?? threadsFor(options.parallel, this.model.size),
          // What GPU runners want. On the 2-core VM it halves batched decoding (4 vs 8 ms a token at 16
          // sequences) but is slower for one sequence at ~700 tokens of context (27 vs 19-24 ms).
          flashAttention: true,
          ...(lora ? { lora } : {}),
        }),
    );
  }

  /** Greedy answers to each prompt, in order. */
  async generate(prompts: readonly Prompt[], options: GenerateOptions): Promise<Generation[]> {
    if (options.adapterPath) await this.checkAdapterHeader(options.adapterPath);
    const rendered = prompts.map((prompt) => this.renderChat(prompt, options));
    const limit = this.model.trainContextSize;
    rendered.forEach(({ tokens }, i) => {
      if (tokens.length + options.maxTokens > limit)
        throw new EvaluationInputError(
          `prompt ${i + 1} is ${tokens.length} tokens; with max_tokens ${options.maxTokens} it does not fit the model's context of ${limit}`,
        );
    });
    const parallel = Math.max(1, Math.min(options.parallel, prompts.length));
    const context = await this.createContext({
      adapterPath: options.adapterPath,
      parallel,
      tokensPerSequence: Math.max(0, ...rendered.map((r) => r.tokens.length)) + options.maxTokens + 1,
    });
    try {
      const results: Generation[] = new Array(prompts.length);
      // Slot i holds sequence id i (a new context hands them out in order). llama.cpp splits a batch
      // wherever sequence ids stop being consecutive, so steps go in slot order and a freed slot is
      // refilled before any later one.
      const slots = Array.from({ length: parallel }, () => context.getSequence());
      const running: (Answer | undefined)[] = new Array(parallel);
      let next = 0;
      const settle = (slot: number) => {
        results[running[slot]!.index] = running[slot]!.result();
        running[slot] = undefined;
      };
      while (next < prompts.length || running.some(Boolean)) {
        options.signal?.throwIfAborted();
        // A new item's prompt is decoded on its own, in the same chunks as when items run one at a
        // time: prompt tokens batch well by themselves, and mixed into others' steps they would go
        // through other llama.cpp kernels (and could change the answer).
        for (let slot = 0; slot < parallel && next < prompts.length; slot++) {
          if (running[slot]) continue;
          await slots[slot]!.clearHistory();
          running[slot] = new Answer(
            this.model,
            this.tokenizer,
            slots[slot]!,
            next,
            rendered[next]!,
            options,
          );
          next++;
          if (await running[slot]!.step()) settle(slot);
        }
        // One token for every running item, all queued in this tick, so llama.cpp decodes them in one
        // batch. (Left to themselves, sequences re-queue as their own sampling ends, and node-llama-cpp
        // dispatches whatever is queued: batches fragment.)
        const stepping = running.flatMap((answer, slot) => (answer ? [slot] : []));
        const done = await Promise.all(stepping.map((slot) => running[slot]!.step()));
        stepping.forEach((slot, i) => done[i] && settle(slot));
      }
      return results;
    } finally {
      await context.dispose();
    }
  }

  /**
   * The next-token distribution after one user turn, computed as exactly as llama.cpp can (F32 KV
   * cache, no flash attention: both round through F16 on CPU, ~2e-4 in probability). Used to check
   * that base + LoRA here equals transformers + PEFT on the trainer's side.
   */
  async nextTokenProbabilities(
    prompt: Prompt,
    adapterPath?: string,
    enableThinking?: boolean,
  ): Promise<ReadonlyMap<Token, number>> {
    const { tokens } = this.renderChat(prompt, { enableThinking });
    const context = await this.model.createContext({
      contextSize: tokens.length + 1,
      threads: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: "F32",
      experimentalKvCacheValueType: "F32",
      ...(adapterPath ? { lora: { adapters: [{ filePath: resolve(adapterPath) }] } } : {}),
    });
    try {
      const last = tokens.length - 1;
      const everything = { temperature: 1, topK: 0, topP: 1, minP: 0 };
      const output = await context
        .getSequence()
        .controlledEvaluate(
          tokens.map((t, i) =>
            i === last ? [t, { generateNext: { probabilities: true, options: everything } }] : t,
          ),
        );
      return output[last]?.next?.probabilities ?? new Map();
    } finally {
      await context.dispose();
    }
  }

  /**
   * A conversation (a user turn alone, or earlier turns and then the question) framed exactly as the
   * trainer frames it (runners/trainer/train.py, encode_chat), so that an adapter is evaluated on the
   * token ids it was trained on: the GGUF's own chat template rendered with the generation prompt (and
   * `enable_thinking` as the registry sets it), special tokens split out as Hugging Face's tokenizer
   * splits them (TrainerTokenizer), and BOS only where the tokenizer adds one
   * (`tokenizer.ggml.add_bos_token`) and the template did not. node-llama-cpp's chat wrappers would add a
   * BOS that training never saw. Models without a template fall back to the wrapper's framing.
   */
  renderChat(prompt: Prompt, options: { enableThinking?: boolean } = {}): RenderedPrompt {
    const messages: readonly ChatMessage[] =
      typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt;
    if (!this.template) {
      const { contextText, stopGenerationTriggers } = this.chatWrapper.generateContextState({
        chatHistory: chatHistoryOf(messages),
      });
      return { tokens: contextText.tokenize(this.model.tokenizer), stops: stopTexts(stopGenerationTriggers) };
    }
    const { bos, bosString, eosString, shouldPrependBosToken } = this.model.tokens;
    const text = this.template.render({
      messages,
      add_generation_prompt: true,
      bos_token: bosString ?? "",
      eos_token: eosString ?? "",
      enable_thinking: options.enableThinking ?? false,
    });
    const tokens = this.tokenizer.tokenize(text);
    if (shouldPrependBosToken && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return { tokens, stops: this.templateStops };
  }

  async dispose(): Promise<void> {
    if (this.model.disposed) return; // the shared llama.cpp instance counts each harness once
    await this.model.dispose();
    await releaseLlama();
  }
}

function parsedTemplate(model: LlamaModel): Template | undefined {
  const source = model.fileInfo.metadata.tokenizer?.chat_template;
  return source ? new Template(source) : undefined;
}

/** A conversation as node-llama-cpp's chat wrappers take it, with the model's turn to answer last. */
function chatHistoryOf(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  return [
    ...messages.map((m): ChatHistoryItem =>
      m.role === "assistant" ? { type: "model", response: [m.content] } : { type: m.role, text: m.content },
    ),
    { type: "model", response: [] },
  ];
}

/** What the model is asked: one user turn, or a conversation ending with the question's user turn. */
export type Prompt = string | readonly ChatMessage[];

export interface RenderedPrompt {
  tokens: Token[];
  stops: string[];
}

/**
 * One item's greedy answer, advanced a token at a time by the harness: until an end-of-generation
 * token, a stop text of the chat template, or the token budget.
 */
class Answer {
  private readonly tokens: Token[] = [];
  private readonly iterator: AsyncGenerator<Token, void>;
  private stop: string | undefined;
  private hitMaxTokens = false;
  /** Enough trailing tokens to spell the longest stop text even from single bytes. */
  private readonly tailTokens: number;

  constructor(
    private readonly model: LlamaModel,
    private readonly tokenizer: TrainerTokenizer,
    readonly sequence: LlamaContextSequence,
    readonly index: number,
    private readonly prompt: RenderedPrompt,
    private readonly options: GenerateOptions,
  ) {
    this.iterator = sequence.evaluate(prompt.tokens, { temperature: 0, topP: 1, seed: options.seed });
    this.tailTokens = 4 * Math.max(0, ...prompt.stops.map((s) => s.length)) + 4;
  }

  /** Decodes the next token (the first one decodes the prompt); true when the answer is finished. */
  async step(): Promise<boolean> {
    const { value: token, done } = await this.iterator.next();
    if (done || this.tokenizer.endsGeneration(token)) return this.finish();
    this.tokens.push(token);
    if (this.prompt.stops.length > 0) {
      const tail = this.model.detokenize(this.tokens.slice(-this.tailTokens));
      this.stop = this.prompt.stops.find((s) => tail.endsWith(s));
      if (this.stop) return this.finish();
    }
    if (this.tokens.length >= this.options.maxTokens) {
      this.hitMaxTokens = true;
      return this.finish();
    }
    return false;
  }

  result(): Generation {
    const text = this.model.detokenize(this.tokens);
    return { text: this.stop ? text.slice(0, -this.stop.length) : text, hitMaxTokens: this.hitMaxTokens };
  }

  /** Ends the evaluation, so that the sequence can take the next item. */
  private async finish(): Promise<true> {
    await this.iterator.return();
    return true;
  }
}

/**
 * The chat wrapper's stop triggers that are text: a special-token trigger (EOS, EOT) is an
 * end-of-generation token, stopped on by id (TrainerTokenizer.endsGeneration), never its name spelled
 * out, which would cut an answer such as "VIDEOS" at "EOS".
 */
function stopTexts(triggers: readonly LlamaText[]): string[] {
  const texts = triggers.flatMap((trigger) =>
    trigger.values.every((v) => typeof v === "string" || v instanceof SpecialTokensText)
      ? [trigger.values.map((v) => (typeof v === "string" ? v : v.value)).join("")]
      : [],
  );
  return [...new Set(texts.filter((t) => t.length > 0))];
}

/**
 * Runs a native operation and, when it fails, adds what llama.cpp logged meanwhile: the JS error is
 * generic ("Failed to initialize LoRA adapter") while the log names the tensor and its shape.
 */
async function withLlamaLog<T>(log: LlamaLog, what: string, run: () => Promise<T>): Promise<T> {
  const start = log.mark();
  try {
    return await run();
  } catch (error) {
    // node-llama-cpp retries some loads, so llama.cpp may say the same thing several times
    // errors first: on some CPUs llama.cpp warns once per tensor before it says what failed
    const logged = [...new Set(log.since(start))];
    const lines = [
      ...logged.filter((l) => l.startsWith("error")),
      ...logged.filter((l) => l.startsWith("warn")),
    ];
    throw new EvaluationInputError(
      `${what}: ${(error as Error).message}${lines.length ? `\nllama.cpp says:\n  ${lines.join("\n  ")}` : " (llama.cpp printed its reason to the log)"}`,
    );
  }
}
