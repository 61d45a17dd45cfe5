import { isUtf8 } from "node:buffer";
import { setImmediate as nextTurn } from "node:timers/promises";
import { charCountOfUtf8Prefix, firstInvalidUtf8, startsWithBom } from "../text.ts";

/** What the line splitter tells its consumer, besides the lines themselves. */
export type StreamProblem =
  | { kind: "bom" }
  | { kind: "invalid-utf8"; line: number; column: number; byte: number }
  | { kind: "line-too-long"; line: number; bytes: number };

export interface JsonlStreamHandlers {
  /** One complete line without its `\n` (a trailing `\r` is kept for the caller to judge). */
  line(text: string, lineNumber: number): void;
  problem(problem: StreamProblem): void;
  /** Bytes consumed so far, after each chunk. */
  progress?(bytes: number): void;
}

const YIELD_EVERY_MS = 50;

/**
 * Splits a byte stream into UTF-8 lines in constant memory: at most one line longer
 * than `maxLineBytes` is ever buffered, longer lines are reported and skipped.
 * Synchronous per line, asynchronous per chunk, so a million lines cost no promise each.
 * Chunks already in memory never wait on I/O, so it gives the event loop a turn every
 * YIELD_EVERY_MS: signals, timers and other deliveries are served while a big file is read.
 */
export async function streamLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  atFileStart: boolean,
  handlers: JsonlStreamHandlers,
): Promise<{ lines: number; bytes: number }> {
  // The start of a line that runs past the chunk, kept as the chunks it came in and joined once when
  // its end arrives: re-joining at every chunk made a long line cost its length squared.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = 0; // > 0: bytes of an over-long line being discarded
  let lineNumber = 0;
  let bytes = 0;
  let first = atFileStart;
  let lastTurn = performance.now();

  const emit = (buf: Buffer, start: number, end: number) => {
    lineNumber++;
    if (end - start > maxLineBytes) {
      handlers.problem({ kind: "line-too-long", line: lineNumber, bytes: end - start });
      return;
    }
    handlers.line(buf.toString("utf8", start, end), lineNumber);
  };

  const emitChecked = (buf: Buffer, start: number, end: number) => {
    // An over-long line is reported as such, whatever its bytes: it is never looked into.
    if (end - start <= maxLineBytes && !isUtf8(buf.subarray(start, end))) {
      lineNumber++;
      const bad = firstInvalidUtf8(buf, start, end);
      handlers.problem({
        kind: "invalid-utf8",
        line: lineNumber,
        column: charCountOfUtf8Prefix(buf.subarray(start), bad - start) + 1,
        byte: buf[bad]!,
      });
      return;
    }
    emit(buf, start, end);
  };

  for await (const chunk of chunks) {
    if (performance.now() - lastTurn > YIELD_EVERY_MS) {
      await nextTurn();
      lastTurn = performance.now();
    }
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    bytes += buf.length;
    let pos = 0;
    if (first) {
      first = false;
      if (startsWithBom(buf)) {
        handlers.problem({ kind: "bom" });
        pos = 3;
      }
    }
    if (skipping > 0) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) {
        skipping += buf.length - pos;
        handlers.progress?.(bytes);
        continue;
      }
      lineNumber++;
      handlers.problem({ kind: "line-too-long", line: lineNumber, bytes: skipping + nl - pos });
      skipping = 0;
      pos = nl + 1;
    }
    if (pendingBytes > 0) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) {
        pendingBytes += buf.length - pos;
        if (pendingBytes > maxLineBytes) {
          skipping = pendingBytes; // too long already: count the rest, keep nothing
          pending = [];
          pendingBytes = 0;
        } else pending.push(Buffer.from(buf.subarray(pos)));
        handlers.progress?.(bytes);
        continue;
      }
      const line = Buffer.concat([...pending, buf.subarray(pos, nl)]);
      pending = [];
      pendingBytes = 0;
      emitChecked(line, 0, line.length);
      pos = nl + 1;
    }
    const last = buf.lastIndexOf(10);
    if (last >= pos) {
      // Validate the whole region once; only a bad region pays for per-line checks.
      const regionValid = isUtf8(buf.subarray(pos, last));
      let nl = buf.indexOf(10, pos);
      while (nl >= 0 && nl <= last) {
        if (regionValid) emit(buf, pos, nl);
        else emitChecked(buf, pos, nl);
        pos = nl + 1;
        nl = buf.indexOf(10, pos);
      }
    }
    const rest = buf.length - pos;
    if (rest > maxLineBytes) skipping = rest;
    else if (rest > 0) {
      pending = [Buffer.from(buf.subarray(pos))];
      pendingBytes = rest;
    }
    handlers.progress?.(bytes);
  }
  if (skipping > 0) {
    lineNumber++;
    handlers.problem({ kind: "line-too-long", line: lineNumber, bytes: skipping });
  } else if (pendingBytes > 0) {
    const line = Buffer.concat(pending);
    emitChecked(line, 0, line.length);
  }
  return { lines: lineNumber, bytes };
}
