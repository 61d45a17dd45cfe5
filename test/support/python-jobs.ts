import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * One Python process of the tests for many jobs: the script reads a job a line on stdin and answers each
 * with one JSON line on stdout (`{"error": traceback}` for a job that failed, and the next ones still run).
 * torch and its libraries load once, not once a job, and load while the test prepares its first job.
 */
export function startPythonJobs(python: string, script: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(python, [script], { stdio: ["pipe", "pipe", "pipe"], env });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.resolve(line));
  const exited = new Promise<void>((resolve) =>
    child.on("close", (code) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`${script} exited ${code}: ${stderr}`));
      resolve();
    }),
  );
  return {
    /** The answer to one job (a line without newlines). */
    ask: <T>(job: string) =>
      new Promise<string>((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${job}\n`);
      }).then((line) => {
        const answer = JSON.parse(line) as T | { error: string };
        if (answer !== null && typeof answer === "object" && "error" in answer)
          throw new Error(`${script}: ${answer.error}`);
        return answer as T;
      }),
    /** Ends the input; resolves once the process has exited. */
    close: () => (child.stdin.end(), exited),
  };
}
