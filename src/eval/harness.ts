/**
 * The evaluation harness: the pinned base GGUF loaded once in llama.cpp (through node-llama-cpp),
 * answering benchmark prompts with and without LoRA adapters, greedily and in parallel sequences of
 * one context, so that many items share each forward pass.
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import {
  type ChatWrapper,
  getLlama,
  type Llama,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
  resolveChatWrapper,
  type Token,
} from "node-llama-cpp";
import { EvaluationInputError, readGgufSummary, sha256File } from "./gguf-file.ts";

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
}

export interface HarnessOptions {
  basePath: string;
  /** The registry's pin: the base is refused when its sha256 differs. */
  baseSha256?: string;
  /** CPU threads; on a small CPU one thread is fastest (two measured 25x slower on 2 cores). */
  threads?: number;
  /** false in tests and on CPU-only machines; "auto" picks CUDA/Vulkan/Metal where present. */
  gpu?: false | "auto";
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

export class EvaluationHarness {
  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    readonly architecture: string,
    readonly baseSha256: string,
    private readonly threads: number,
    private readonly log: LlamaLog,
    private readonly chatWrapper: ChatWrapper = resolveChatWrapper(model),
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
    const log = new LlamaLog();
    const llama = await getLlama({
      gpu: options.gpu ?? false,
      build: "never", // prebuilt binaries only: never compile llama.cpp at evaluation time
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => log.add(`${level}: ${message.trimEnd()}`),
    });
    const threads = options.threads ?? (availableParallelism() <= 2 ? 1 : availableParallelism());
    const model = await withLlamaLog(log, `cannot load base model ${options.basePath}`, () =>
      llama.loadModel({ modelPath: resolve(options.basePath) }),
    );
    return new EvaluationHarness(llama, model, summary.architecture, sha256, threads, log);
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
          threads: this.threads,
          ...(lora ? { lora } : {}),
        }),
    );
  }

  /** Greedy answers to each prompt, in order. */
  async generate(prompts: readonly string[], options: GenerateOptions): Promise<Generation[]> {
    if (options.adapterPath) await this.checkAdapterHeader(options.adapterPath);
    const rendered = prompts.map((prompt) => this.renderChat(prompt));
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
      let next = 0;
      // One worker per sequence takes the next item; llama.cpp decodes what all of them queued together.
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          const sequence = context.getSequence();
          for (let i = next++; i < prompts.length; i = next++) {
            await sequence.clearHistory();
            results[i] = await this.answer(sequence, rendered[i]!, options);
          }
        }),
      );
      return results;
    } finally {
      await context.dispose();
    }
  }

  /** The prompt as the model's own chat template (from its GGUF) frames one user turn. */
  private renderChat(prompt: string): { tokens: Token[]; stops: string[] } {
    const { contextText, stopGenerationTriggers } = this.chatWrapper.generateContextState({
      chatHistory: [
        { type: "user", text: prompt },
        { type: "model", response: [] },
      ],
    });
    return {
      tokens: contextText.tokenize(this.model.tokenizer),
      stops: stopGenerationTriggers.map((t) => t.toString()).filter((t) => t.length > 0),
    };
  }

  /** Greedy decoding until an end-of-generation token, a stop text of the template, or the budget. */
  private async answer(
    sequence: LlamaContextSequence,
    prompt: { tokens: Token[]; stops: string[] },
    options: GenerateOptions,
  ): Promise<Generation> {
    const out: Token[] = [];
    let hitMaxTokens = false;
    for await (const token of sequence.evaluate(prompt.tokens, {
      temperature: 0,
      topP: 1,
      seed: options.seed,
    })) {
      if (this.model.isEogToken(token)) break;
      out.push(token);
      const text = prompt.stops.length ? this.model.detokenize(out) : "";
      const stop = prompt.stops.find((s) => text.endsWith(s));
      if (stop) return { text: text.slice(0, -stop.length), hitMaxTokens: false };
      if (out.length >= options.maxTokens) {
        hitMaxTokens = true;
        break;
      }
    }
    return { text: this.model.detokenize(out), hitMaxTokens };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
    await this.llama.dispose();
  }
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
    const lines = [...new Set(log.since(start).filter((line) => /^(error|warn)/.test(line)))];
    throw new EvaluationInputError(
      `${what}: ${(error as Error).message}${lines.length ? `\nllama.cpp says:\n  ${lines.join("\n  ")}` : " (llama.cpp printed its reason to the log)"}`,
    );
  }
}
