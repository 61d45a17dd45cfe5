/**
 * The demo's evaluation: the bundled registry's math adapter, evaluated for real by llama.cpp on a
 * tiny generated base (whose sha256 the fixture registry pins) and a generated LoRA adapter, then
 * judged by the bar and rendered as the scorecard the app would post.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateBar } from "../core/evaluation/bar.ts";
import { renderScorecard } from "../core/evaluation/scorecard.ts";
import { tinyLlamaGguf, tinyLoraGguf } from "../core/gguf/tiny-llama.ts";
import { loadRegistryContext } from "../core/registry-context.ts";
import { evaluateRegistryAdapter } from "../eval/evaluate-adapter.ts";
import { EvaluationHarness } from "../eval/harness.ts";
import { FsRegistrySource } from "../io/fs-source.ts";

export const DEMO_ADAPTER = "math-gsm8k";

export async function runDemoEvaluation(
  root: string,
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
) {
  const source = new FsRegistrySource(root);
  const { registry, config } = await loadRegistryContext(source);
  if (!registry) throw new Error("the bundled registry.yaml does not load");
  const dir = mkdtempSync(join(tmpdir(), "loragate-demo-"));
  let harness: EvaluationHarness | undefined;
  try {
    const basePath = join(dir, registry.base.inference.file);
    const adapterPath = join(dir, `${DEMO_ADAPTER}.gguf`);
    writeFileSync(basePath, tinyLlamaGguf());
    writeFileSync(adapterPath, tinyLoraGguf());
    io.stderr(`\nEvaluating ${DEMO_ADAPTER} on a generated tiny llama (llama.cpp, CPU, greedy):\n`);
    harness = await EvaluationHarness.open({ basePath, baseSha256: registry.base.inference.sha256 });
    const started = performance.now();
    const results = await evaluateRegistryAdapter({
      source,
      adapter: DEMO_ADAPTER,
      harness,
      adapterPath,
      headSha: "0".repeat(40),
      hardware: "local CPU (demo)",
      settings: { seed: 42, re2: true, parallel: 8 },
      onProgress: (message) => io.stderr(`  ${message}\n`),
    });
    io.stderr(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s\n\n`);
    io.stdout(`${renderScorecard({ results, verdict: evaluateBar({ results, config }) })}\n`);
    io.stdout(
      "\n(demo: the tiny model's weights are random, so neither it nor its adapter solves anything; the numbers are real llama.cpp outputs, scored and judged as on a GPU runner)\n",
    );
  } finally {
    await harness?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
