/**
 * Regenerates fixtures/trained/: the fixture adapter retrained by runners/trainer/train.py from its
 * data and from the same data with shuffled answers, as LoRA GGUFs with their loss logs. The demo uses
 * them where there is no trainer environment. Run after `npm run fixtures` changes the fixture adapter:
 *
 *   npm run trainer:setup && npm run fixtures:train
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadRegistryContext } from "../src/core/registry/registry-context.ts";
import { committedAdapterPath, trainDemoAdapters, trainerPython } from "../src/cli/demo-evaluation.ts";
import { fixtureBaseOf, fixtureManifest } from "../src/eval/fixture-model.ts";
import { writeModelCache } from "../src/eval/model-cache.ts";
import { FsRegistrySource } from "../src/io/fs-source.ts";

const root = join(import.meta.dirname, "..", "fixtures", "registry");
const python = trainerPython(root);
if (!python) throw new Error("no trainer environment: run npm run trainer:setup first");
const { registry } = await loadRegistryContext(new FsRegistrySource(root));
if (!registry) throw new Error("fixtures/registry/registry.yaml does not load");
const dir = mkdtempSync(join(tmpdir(), "loragate-fixture-adapters-"));
try {
  const { trainingBase } = writeModelCache({
    registry,
    cacheDir: join(dir, "models"),
    ...fixtureBaseOf(root),
  });
  const adapters = await trainDemoAdapters({
    registryRoot: root,
    python,
    workDir: join(dir, "train"),
    trainingBase,
    manifest: fixtureManifest(root),
    log: (line) => console.log(line),
  });
  for (const [variant, { gguf, training }] of adapters) {
    mkdirSync(dirname(committedAdapterPath(root, variant, "gguf")), { recursive: true });
    writeFileSync(committedAdapterPath(root, variant, "gguf"), gguf);
    writeFileSync(committedAdapterPath(root, variant, "training.json"), `${JSON.stringify(training)}\n`);
    console.log(`wrote ${committedAdapterPath(root, variant, "gguf")}`);
  }
  // which train.py made them (its last commit): the demo names it when it evaluates them untrained
  const trainPy = join(import.meta.dirname, "..", "runners", "trainer", "train.py");
  const commit = execFileSync("git", ["log", "-1", "--format=%H", "--", trainPy], {
    encoding: "utf8",
  }).trim();
  writeFileSync(
    join(dirname(committedAdapterPath(root, "trained", "gguf")), "provenance.json"),
    `${JSON.stringify({ train_py_commit: commit })}
`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
