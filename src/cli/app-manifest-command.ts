/** `loragate app-manifest`: the page that registers the GitHub App from app.yml (docs/operator-guide.md). */
import { readFileSync, writeFileSync } from "node:fs";
import { manifestPage, manifestProblem } from "../core/app-manifest.ts";
import { packagePath } from "./package-root.ts";

export function runAppManifest(
  p: { name: string; webhookUrl: string; org?: string; out: string },
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): number {
  const problem = manifestProblem(p);
  if (problem) {
    io.stderr(`loragate: ${problem}\n`);
    return 2;
  }
  try {
    writeFileSync(p.out, manifestPage({ ...p, appYml: readFileSync(packagePath("app.yml"), "utf8") }), {
      flag: "wx",
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr(
      `loragate: --out ${p.out} ${code === "EEXIST" ? "exists: choose a new file" : `cannot be written (${code})`}\n`,
    );
    return 2;
  }
  const origin = new URL(p.webhookUrl).origin;
  io.stdout(
    `wrote ${p.out}: open it in a browser signed in to GitHub and press "Register on GitHub".\n` +
      `GitHub then opens ${origin}/?code=CODE (the page need not load); within an hour, exchange the code:\n` +
      `  curl -s -X POST https://api.github.com/app-manifests/CODE/conversions > app.json\n` +
      `app.json holds the App's id, pem (its private key) and webhook_secret, for .env (APP_ID, PRIVATE_KEY_PATH, WEBHOOK_SECRET);\n` +
      `GitHub will send the App's deliveries to ${p.webhookUrl}.\n`,
  );
  return 0;
}
