import type { IncomingMessage, ServerResponse } from "node:http";
import type { Probot } from "probot";

/** GitHub sends no webhook payload larger than this (its documented cap). */
export const MAX_WEBHOOK_BYTES = 25 << 20;

/**
 * Bodies are held before their signature can be checked, so anyone who reaches the URL decides what is
 * held: at most this many bodies at once, and this many bytes of them all together; past either, 503.
 * GitHub sends one delivery at a time per hook and most are a few KB, so these bound only strangers.
 */
export const BODY_LIMITS = {
  openBodies: 16,
  heldBytes: 64 << 20,
  /** A body not complete by then is dropped with 408 (a sender that trickles holds a slot otherwise). */
  timeoutMs: 30_000,
};

type Middleware = Awaited<ReturnType<Probot["getNodeMiddleware"]>>;

/** What Probot's middleware needs to read a delivery's body: it takes a string body as read. */
type Delivery = IncomingMessage & { body?: string };

const decode = (bytes: Buffer) => new TextDecoder("utf-8", { fatal: false }).decode(bytes);

/**
 * Every request gets at most one answer. Probot's webhook middleware can try a second one (its 9 s
 * "still processing" timer racing an error), and a second `writeHead` throws out of the server's
 * request listener, which ends the process: the later answer is dropped instead.
 */
function answerOnce(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  let dropping = false;
  res.writeHead = ((...args: unknown[]) => {
    if (!res.headersSent) return writeHead(...args);
    dropping = true;
    return res;
  }) as typeof res.writeHead;
  res.end = ((...args: unknown[]) => (dropping || res.writableEnded ? res : end(...args))) as typeof res.end;
}

/** Answers `status` and drops what still arrives (closing at once could reset before the 413 is read). */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string): true {
  req.removeAllListeners("data");
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(`${text}\n`);
  req.resume();
  // A sender that never ends its refused body loses the connection.
  const stop = setTimeout(() => req.socket.destroy(), BODY_LIMITS.timeoutMs).unref();
  req.once("end", () => clearTimeout(stop));
  return true;
}

/**
 * Reads a delivery's body itself, bounded, before Probot's webhook middleware sees it: over
 * MAX_WEBHOOK_BYTES 413 (by its content-length, or as soon as a chunked one passes the cap), past
 * BODY_LIMITS 503 or 408. Probot's middleware then gets the body as read and never touches the stream,
 * so it cannot answer a request that was already refused.
 */
export function refuseLargeBodies(probot: Probot): void {
  const middlewareOf = probot.getNodeMiddleware.bind(probot);
  const held = { bodies: 0, bytes: 0 };
  probot.getNodeMiddleware = async (options) => {
    const middleware: Middleware = await middlewareOf(options);
    return async (req: Delivery, res: ServerResponse, next?: Parameters<Middleware>[2]) => {
      answerOnce(res);
      // What Probot answers without reading the body (no delivery headers, another method) goes as is.
      if (
        req.method !== "POST" ||
        !/^\s*application\/json\s*(;|$)/.test(req.headers["content-type"] ?? "") ||
        ["x-github-event", "x-hub-signature-256", "x-github-delivery"].some((h) => req.headers[h] == null)
      )
        return middleware(req, res, next);
      if (Number(req.headers["content-length"] ?? 0) > MAX_WEBHOOK_BYTES)
        return refuse(req, res, 413, `A webhook delivery is at most ${MAX_WEBHOOK_BYTES} bytes.`);
      if (held.bodies >= BODY_LIMITS.openBodies)
        return refuse(req, res, 503, "Too many deliveries are being received; try again.");
      held.bodies++;
      const chunks: Buffer[] = [];
      let read = 0;
      const release = () => {
        held.bytes -= read;
        read = 0;
        chunks.length = 0;
      };
      try {
        const outcome = await new Promise<"read" | "gone" | [number, string]>((resolve) => {
          const timer = setTimeout(
            () => resolve([408, "The delivery's body did not arrive in time."]),
            BODY_LIMITS.timeoutMs,
          );
          const done = (value: "read" | "gone" | [number, string]) => {
            clearTimeout(timer);
            req.off("data", onData);
            resolve(value);
          };
          const onData = (chunk: Buffer) => {
            read += chunk.length;
            held.bytes += chunk.length;
            if (read > MAX_WEBHOOK_BYTES)
              done([413, `A webhook delivery is at most ${MAX_WEBHOOK_BYTES} bytes.`]);
            else if (held.bytes > BODY_LIMITS.heldBytes)
              done([503, "Too many deliveries are being received; try again."]);
            else chunks.push(chunk);
          };
          req.on("data", onData);
          req.once("end", () => done("read"));
          req.once("error", () => done("gone"));
          req.once("close", () => done(req.complete ? "read" : "gone"));
        });
        if (outcome === "gone") return true;
        if (outcome !== "read") {
          release();
          return refuse(req, res, ...outcome);
        }
        req.body = decode(Buffer.concat(chunks));
        release();
        return await middleware(req, res, next);
      } finally {
        release();
        held.bodies--;
      }
    };
  };
}
