import type { IncomingMessage, ServerResponse } from "node:http";
import type { Probot } from "probot";

/** GitHub sends no webhook payload larger than this (its documented cap). */
export const MAX_WEBHOOK_BYTES = 25 << 20;

type Middleware = Awaited<ReturnType<Probot["getNodeMiddleware"]>>;

/**
 * Probot's webhook middleware reads a delivery whole before it checks the signature: anyone who can
 * reach the URL could make the app hold hundreds of MB. A body over MAX_WEBHOOK_BYTES is refused with
 * 413 before it is read (by its content-length), or as soon as a chunked one passes the cap.
 */
export function refuseLargeBodies(probot: Probot): void {
  const middlewareOf = probot.getNodeMiddleware.bind(probot);
  probot.getNodeMiddleware = async (options) => {
    const middleware: Middleware = await middlewareOf(options);
    return async (req: IncomingMessage, res: ServerResponse, next?: Parameters<Middleware>[2]) => {
      if (req.method !== "POST") return middleware(req, res, next);
      const refuse = () => {
        req.removeAllListeners("data"); // Probot's reader holds no more of it
        if (!res.headersSent) {
          res.writeHead(413, { "content-type": "text/plain" });
          res.end(`A webhook delivery is at most ${MAX_WEBHOOK_BYTES} bytes.\n`);
        }
        // What still arrives is dropped as it comes, not kept (closing the connection at once could reset
        // it before the sender reads the 413).
        req.resume();
        return true;
      };
      if (Number(req.headers["content-length"] ?? 0) > MAX_WEBHOOK_BYTES) return refuse();
      let read = 0;
      req.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_WEBHOOK_BYTES) refuse();
      });
      return middleware(req, res, next);
    };
  };
}
