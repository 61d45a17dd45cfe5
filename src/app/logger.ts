import { getTransformStream } from "@probot/pino";
import { Transform } from "node:stream";
import pino, { type Logger } from "pino";

/** Request headers no log line holds: the webhook's signatures and any credentials. */
const SECRET_HEADERS = ["x-hub-signature-256", "x-hub-signature", "authorization", "cookie"];

/** What an operator needs of a failed GitHub call: the status and the call, not headers and stacks. */
interface RequestErrorLike {
  status: number;
  message: string;
  request: { method: string; url: string };
  response?: unknown;
}

const isRequestError = (error: unknown): error is RequestErrorLike =>
  typeof error === "object" &&
  error !== null &&
  typeof (error as { status?: unknown }).status === "number" &&
  typeof (error as { request?: { url?: unknown } }).request?.url === "string";

const isListenError = (error: unknown) =>
  ["listen", "getaddrinfo"].includes(String((error as { syscall?: unknown } | undefined)?.syscall));

const isBadSignature = (error: unknown) =>
  error instanceof Error && /signature does not match/.test(error.message);

/** The error a log call is about (pino takes it bare or as `err`), unwrapped from Probot's AggregateError. */
function errorOf(arg: unknown): unknown {
  const error = arg instanceof Error ? arg : (arg as { err?: unknown } | undefined)?.err;
  return error instanceof AggregateError && error.errors.length === 1 ? error.errors[0] : error;
}

/**
 * The delivery an error of @octokit/webhooks is about: a handler's error carries its event; a signed
 * payload that is no JSON is its "Invalid JSON" error (status 400), with no event to name.
 */
function deliveryOf(error: unknown): { id?: string; name?: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const event = (error as { event?: { id?: string; name?: string } }).event;
  if (event && typeof event === "object" && "name" in event) return event;
  return error.message === "Invalid JSON" && (error as { status?: number }).status === 400 ? {} : undefined;
}

/** One line for an operator: a failed GitHub call as its status and call, anything else as its message. */
export function describeError(error: unknown): string {
  // Octokit gives a request that got no answer (DNS, a refused connection, a timeout) status 500 too:
  // only an error with a response is something GitHub answered.
  if (isRequestError(error) && error.response === undefined)
    return `GitHub could not be reached for ${error.request.method} ${error.request.url}: ${error.message.split("\n")[0]}`;
  if (isRequestError(error))
    return `GitHub answered ${error.status} to ${error.request.method} ${error.request.url}: ${error.message.split("\n")[0]}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Probot's logger (LOG_LEVEL, LOG_FORMAT as Probot reads them), with two of its error logs made
 * operator-sized: a delivery with a bad signature is one warning line (Probot logged its whole payload
 * twice at ERROR, so anyone reaching the URL could fill the log), and a failed GitHub call is one line
 * with the status and the call.
 */
export async function createLogger(env: NodeJS.ProcessEnv = process.env): Promise<Logger> {
  const transform = await getTransformStream({
    logFormat: env.LOG_FORMAT === "json" ? "json" : env.LOG_FORMAT === "pretty" ? "pretty" : undefined,
    logLevelInString: env.LOG_LEVEL_IN_STRING === "true",
    sentryDsn: env.SENTRY_DSN,
  });
  const out = pino.destination(1) as unknown as NodeJS.WritableStream;
  // Probot's pretty format leaves the time out: each line starts with it here (a line is written as
  // it is logged, so the time it is formatted is the time it was logged). A JSON line is written again
  // from its parse: nested child loggers (probot, then octokit) each add a "name" key, and a line with
  // two of one key is not valid JSON for a log collector; the innermost name stays.
  const line =
    env.LOG_FORMAT === "json"
      ? (text: string) => `${JSON.stringify(JSON.parse(text))}\n`
      : (text: string) => `${new Date().toISOString()} ${text}`;
  transform.pipe(new Transform({ transform: (chunk, _, done) => done(null, line(String(chunk))) })).pipe(out);
  let lastRefused: unknown;
  return pino(
    {
      level: env.LOG_LEVEL ?? "info",
      // No `name` here: Probot's child loggers set their own, and two "name" keys made invalid JSON lines.
      // A delivery's request log keeps its headers but the signature and any credentials.
      redact: {
        paths: SECRET_HEADERS.map((header) => `req.headers["${header}"]`),
        remove: true,
      },
      hooks: {
        logMethod(args, method, level) {
          // pino-http gives a 4xx/5xx answer's request line an error made up for it, stack and all.
          const request = args[0] as { err?: unknown; res?: unknown } | undefined;
          if (
            request?.res &&
            request.err instanceof Error &&
            /^failed with status code/.test(request.err.message)
          )
            args[0] = { ...request, err: { message: request.err.message } };
          const error = errorOf(args[0]);
          if (level < 50 || error === undefined) return method.apply(this, args);
          if (isBadSignature(error)) {
            if (error === lastRefused) return; // Probot logs the same refusal twice
            lastRefused = error;
            const event = (error as { event?: { id?: string; name?: string } }).event;
            return this.warn(
              { delivery: event?.id, event: event?.name },
              "refused a delivery whose signature does not match WEBHOOK_SECRET",
            );
          }
          // The server could not listen (a port in use, a HOST that does not resolve): main.ts says so
          // in one line and exits 2; Probot's log of it would add a stack.
          if (isListenError(error)) return;
          // A signed delivery that is no JSON, or whose payload a handler cannot read: one line (the
          // stack, @octokit/webhooks' own or a handler's, at debug), and once (Probot logs it twice).
          const delivery = deliveryOf(error);
          if (delivery && !isRequestError(error)) {
            if (error === lastRefused) return;
            lastRefused = error;
            this.debug({ err: error }, "the refused delivery's stack");
            const message = (error as Error).message.split("\n")[0];
            return this.error(
              delivery.id ? { delivery: delivery.id, event: delivery.name } : {},
              delivery.id
                ? `delivery ${delivery.id} (${delivery.name}) could not be handled: ${message}`
                : `refused a signed delivery: ${message}`,
            );
          }
          if (isRequestError(error)) {
            const said = typeof args[1] === "string" ? args[1] : "";
            const described = describeError(error);
            return this.error(said.includes(described) ? said : said ? `${said}: ${described}` : described);
          }
          return method.apply(this, args);
        },
      },
    },
    transform,
  );
}
