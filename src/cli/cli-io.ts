/** Where a command writes: stdout for its answer, stderr for progress and problems. */
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

export const defaultIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

/** Says why a command cannot run, the way every command does (`loragate: …` on stderr): exit code 2. */
export function refuse(io: Pick<CliIO, "stderr">, problem: string): 2 {
  io.stderr(`loragate: ${problem}\n`);
  return 2;
}
