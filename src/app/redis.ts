import { connect, type Socket } from "node:net";

/** A reply of Redis's protocol (RESP2): a status, a number, a string, null, or an array of them. */
export type RedisReply = string | number | null | RedisReply[];

/** A command with no answer by then fails (the store is treated as down: fail closed). */
const COMMAND_TIMEOUT_MS = 2_000;

/**
 * A small client of Redis's protocol over one TCP connection, enough for the app's coordination
 * (SET NX PX, EVAL, DEL, PING): commands are pipelined and answered in order. A broken or silent
 * connection fails every command in flight and is opened again by the next command. Written here
 * rather than taken from npm: the few commands it needs are a page of code, and Probot's own Redis
 * path (REDIS_URL) fetches ioredis with npx at start, which a server cut off from npm cannot do.
 */
export class RedisClient {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: { resolve: (r: RedisReply) => void; reject: (e: Error) => void }[] = [];
  private readonly url: URL;

  constructor(url: string) {
    this.url = new URL(url);
  }

  /** Where the store is, for messages (never its password). */
  get where(): string {
    return `${this.url.hostname}:${this.url.port || 6379}`;
  }

  command(...args: (string | number)[]): Promise<RedisReply> {
    const socket = this.socket ?? this.open();
    return new Promise<RedisReply>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error(`Redis at ${this.where} did not answer within ${COMMAND_TIMEOUT_MS} ms`)),
        COMMAND_TIMEOUT_MS,
      );
      this.pending.push({
        resolve: (reply) => (clearTimeout(timer), resolve(reply)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      socket.write(encode(args.map(String)));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Socket {
    const socket = connect({ host: this.url.hostname, port: Number(this.url.port || 6379) });
    socket.setNoDelay(true);
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    socket.on("error", (error) => this.fail(new Error(`Redis at ${this.where}: ${error.message}`)));
    socket.on("close", () => this.fail(new Error(`Redis at ${this.where} closed the connection`)));
    const password = decodeURIComponent(this.url.password);
    const user = decodeURIComponent(this.url.username);
    const db = this.url.pathname.slice(1);
    // Sent first, so they are answered first; their answers are checked like any other.
    const setup: string[][] = [];
    if (password) setup.push(user ? ["AUTH", user, password] : ["AUTH", password]);
    if (/^\d+$/.test(db) && db !== "0") setup.push(["SELECT", db]);
    for (const args of setup) {
      this.pending.push({
        resolve: () => undefined,
        reject: () => undefined, // the commands queued after it fail with the same cause
      });
      socket.write(encode(args));
    }
    return socket;
  }

  /** Every command in flight fails; the next one opens a new connection. */
  private fail(error: Error): void {
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.on("error", () => undefined);
      this.socket.destroy();
      this.socket = undefined;
    }
    for (const waiting of this.pending.splice(0)) waiting.reject(error);
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : Buffer.from(chunk);
    for (;;) {
      let parsed: ReturnType<typeof parseReply>;
      try {
        parsed = parseReply(this.buffer, 0);
      } catch (error) {
        return this.fail(new Error(`Redis at ${this.where}: ${(error as Error).message}`));
      }
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const waiting = this.pending.shift();
      if (!waiting) return this.fail(new Error(`Redis at ${this.where} answered a command never sent`));
      if (parsed.error) waiting.reject(new Error(`Redis at ${this.where}: ${parsed.error}`));
      else waiting.resolve(parsed.value);
    }
  }
}

function encode(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(""));
}

/** One reply from `at`, or undefined when the buffer does not hold all of it yet. */
export function parseReply(
  buffer: Buffer,
  at: number,
): { value: RedisReply; error?: string; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", at);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[at]!);
  const line = buffer.toString("utf8", at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: null, error: line, end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RedisReply[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`not Redis's protocol: a reply starting with ${JSON.stringify(type)}`);
  }
}
