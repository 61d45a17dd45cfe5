import type { IncomingMessage, ServerResponse } from "node:http";
import type { Probot } from "probot";

type Middleware = Awaited<ReturnType<Probot["getNodeMiddleware"]>>;

/** What GitHub sends with every delivery; a POST without one of them is refused by Probot with 400. */
const DELIVERY_HEADERS = ["x-hub-signature-256", "x-github-event", "x-github-delivery"];

/**
 * Probot answers a delivery that lacks its signature (or its event or id) with 400 and logs nothing:
 * an operator could not tell a misconfigured sender from silence. One warning line each, naming the
 * missing headers (a bad signature has its own line, see logger.ts).
 */
export function logRefusedDeliveries(probot: Probot, log: { warn: (...args: unknown[]) => void }): void {
  const middlewareOf = probot.getNodeMiddleware.bind(probot);
  probot.getNodeMiddleware = async (options) => {
    const middleware: Middleware = await middlewareOf(options);
    return async (req: IncomingMessage, res: ServerResponse, next?: Parameters<Middleware>[2]) => {
      const missing = DELIVERY_HEADERS.filter((header) => !req.headers[header]);
      if (req.method === "POST" && missing.length > 0)
        res.once("finish", () => {
          if (res.statusCode !== 400) return;
          const delivery = req.headers["x-github-delivery"];
          log.warn(
            { delivery, status: 400 },
            `refused a delivery to ${req.url?.split("?")[0]} with no ${missing.join(", ")} header${missing.length > 1 ? "s" : ""} (400)`,
          );
        });
      return middleware(req, res, next);
    };
  };
}
