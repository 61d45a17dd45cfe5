/** The shell's exit codes for a process stopped by these signals (128 + the signal's number). */
const INTERRUPT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Ctrl-C and SIGTERM end the CLI at once, with one line on stderr and the shell's code for the
 * signal, so a script can tell "interrupted" from "fails the bar" (1). Long work yields to the
 * event loop (see streamLines), so this runs within a slice of the work, not after it. The
 * returned signal is aborted first, which stops child processes (the demo's trainer).
 */
function exitOnInterrupt(): AbortSignal {
  const interrupted = new AbortController();
  for (const [name, code] of Object.entries(INTERRUPT_CODES))
    process.once(name, () => {
      interrupted.abort();
      process.stderr.write(`\nloragate: interrupted by ${name}\n`);
      process.exit(code);
    });
  return interrupted.signal;
}

/**
 * A reader that stops early (`loragate check | head`) closes the pipe, and the rest of the output has no
 * one to read it: that ends the output, and is no failure of the command, which still exits with its own
 * code. Without a listener, Node reports the failed write (EPIPE) as a crash.
 */
function endOutputOnClosedPipe(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

/**
 * What a process that runs the CLI sets up before the command (the installed bin, and main.ts run
 * directly): a closed pipe ends the output, a signal ends the process; returns the signal's AbortSignal.
 */
export function asCliProcess(): AbortSignal {
  endOutputOnClosedPipe();
  return exitOnInterrupt();
}
