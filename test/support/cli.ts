import type { CliIO } from "../../src/cli/cli-io.ts";
import { runCli } from "../../src/cli/main.ts";

/** `loragate ARGV...` in process, its output captured (not a terminal). */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    isTTY: false,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
