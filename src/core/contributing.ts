/**
 * CONTRIBUTING.md as `loragate init` writes it. What it says about files, minimums, adapter.yaml and the
 * scorecard's rows comes from the code that checks them (the adapter layout, the config's defaults, the
 * schemas' descriptions, the scorecard's roles), so the guide and `loragate check` cannot disagree;
 * test/init-registry.test.ts follows it to the letter and expects a clean check.
 */
import { stringify } from "yaml";
import { z } from "zod";
import { MANIFEST_FILE, SUPPORTING_FILES } from "./adapter/validate-adapter.ts";
import { ROLE } from "./evaluation/scorecard.ts";
import { AdapterManifestSchema, DEFAULT_DATA_FILES } from "./schemas/adapter.ts";
import { EVALUATION_TYPES } from "./schemas/common.ts";
import { type Config, ConfigSchema, DEFAULT_CONFIG } from "./schemas/config.ts";

/** The adapter the guide's example describes; its name is the one `loragate check --adapter` is shown with. */
export const EXAMPLE_ADAPTER = "my-adapter";

interface JsonSchemaNode {
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
}

/** The description a schema gives at a dotted path ("bar.domain.max_p_value"). */
function described(schema: JsonSchemaNode, path: string): string {
  let node: JsonSchemaNode | undefined = schema;
  for (const key of path.split(".")) node = node?.properties?.[key];
  if (!node?.description) throw new Error(`no description at ${path}`);
  return node.description;
}

const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;

export function renderContributing(params: { baseId: string; config?: Config }): string {
  const config = params.config ?? DEFAULT_CONFIG;
  const manifestSchema = jsonSchema(AdapterManifestSchema);
  const configSchema = jsonSchema(ConfigSchema);
  const { bar } = config;
  const dir = `adapters/<name>`;
  const layout: [string, string][] = [
    [`${dir}/${MANIFEST_FILE}`, "the manifest (below)"],
    [
      `${dir}/${DEFAULT_DATA_FILES.train}`,
      `one training example per line, at least ${bar.min_train_examples} unique`,
    ],
    [
      `${dir}/${DEFAULT_DATA_FILES.benchmark}`,
      `your held-out items, at least ${bar.min_benchmark_items} unique`,
    ],
    ...SUPPORTING_FILES.map((file): [string, string] => [
      `${dir}/${file}`,
      "how you trained it: hardware, time, loss, decisions (check warns while it is missing)",
    ]),
  ];
  const width = Math.max(...layout.map(([path]) => path.length));
  const manifest = {
    name: EXAMPLE_ADAPTER,
    domain: "math",
    version: "0.1.0",
    description: "What it is good at, in one sentence",
    authors: ["Your Name"],
    license: "apache-2.0",
    proposal: 12,
    base: params.baseId,
    lora: { r: 16, alpha: 32, dropout: 0.05, target_modules: ["q_proj", "k_proj", "v_proj", "o_proj"] },
    training: { epochs: 3, learning_rate: 2.0e-4, batch_size: 4, max_seq_length: 1024, seed: 42 },
    data: {
      train: DEFAULT_DATA_FILES.train,
      benchmark: DEFAULT_DATA_FILES.benchmark,
      sources: ["where the examples come from, and their license"],
    },
    evaluation: { type: "numeric" },
  };
  const comments: Record<string, string> = {
    proposal: "the approved proposal issue",
    base: "registry.yaml's base.id",
    evaluation: `how your benchmark is scored: ${EVALUATION_TYPES.join(", ")}`,
  };
  // one line per key, nested values in flow style, as people write adapter.yaml
  const yamlLines = Object.entries(manifest).map(([key, value]) => {
    const line = `${key}: ${stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trimEnd()}`;
    return comments[key] ? `${line} # ${comments[key]}` : line;
  });
  /** A config key, its value and what the schema says it means. */
  const setting = (path: string, value: unknown) =>
    `\`${path}: ${String(value)}\`: ${described(configSchema, path)}`;
  const rows: [string, string, string[]][] = [
    [
      ROLE.own,
      "your benchmark",
      [
        setting("bar.domain.must_beat_base", bar.domain.must_beat_base),
        setting("bar.domain.max_p_value", bar.domain.max_p_value),
      ],
    ],
    [
      ROLE.domain,
      "the registry's benchmark of your domain",
      [setting("bar.domain.max_degradation_points", bar.domain.max_degradation_points)],
    ],
    [
      ROLE.ood,
      described(configSchema, "bar.out_of_domain"),
      [setting("bar.out_of_domain.max_degradation_points", bar.out_of_domain.max_degradation_points)],
    ],
    [
      ROLE.hidden,
      `${described(configSchema, "bar.hidden")} Counts and scores only, never their text.`,
      [setting("bar.hidden.max_degradation_points", bar.hidden.max_degradation_points)],
    ],
  ];
  return `# Contributing an adapter

This registry takes LoRA adapters through pull requests that [loragate](https://github.com/loragate/loragate)
reviews: it validates your files down to the line, checks your training data against every held-out
benchmark for contamination, retrains your adapter from your data on the registry's GPU runners, evaluates it
against the pinned base and posts one scorecard. You send data and a recipe, never weights.

(The numbers below are loragate's defaults, which this registry's \`.github/loragate.yml\` may change;
\`loragate check\` always applies the registry's own.)

## 1. Propose it

Open an issue with the **Adapter proposal** form. loragate answers with what is missing and which existing
adapters overlap; a maintainer approves it with \`/loragate approve-proposal\`. Cite that issue's number in \`proposal:\`.

## 2. Lay out the adapter

\`\`\`
${layout.map(([path, what]) => `${path.padEnd(width)}  # ${what}`).join("\n")}
\`\`\`

\`<name>\` is 2 to 63 lower-case letters, digits and dashes, starting with a letter or digit, and equals
\`name:\` in ${MANIFEST_FILE}. A training line is one JSON object (or \`{"messages": [{"role": "user", ...}, ...]}\`):

\`\`\`json
{"instruction": "Solve the word problem.", "input": "Ann has 3 apples and buys 4 more. How many now?", "output": "7"}
\`\`\`

A benchmark line (\`difficulty\`: easy, medium or hard, optional):

\`\`\`json
{"id": "q-0001", "instruction": "Solve the word problem.", "input": "Tom has 5 pens and loses 2. How many are left?", "expected_output": "3", "difficulty": "easy"}
\`\`\`

Every line unique, no blank lines, UTF-8 without a byte-order mark. Data only: no weights, no pickles, no links.
Your benchmark's items must not appear in your training data (nor any other benchmark's: see step 3).

\`${dir}/${MANIFEST_FILE}\`:

\`\`\`yaml
${yamlLines.join("\n")}
\`\`\`

Optional keys:

${["ood_benchmarks", "router_keywords", "evaluation.max_tokens"].map((key) => `- \`${key}\`: ${described(manifestSchema, key)}`).join("\n")}

## 3. Check it before you push

\`\`\`sh
loragate check . --adapter ${EXAMPLE_ADAPTER}
\`\`\`

(run in the registry's root, with your adapter's name; install loragate as its README says.)

It runs the very checks the app runs on your pull request: every problem is printed as
\`file:line:column error message [rule]\` with a hint, and the exit code is 0 when there are no errors.
Training examples that match a benchmark item (\`contamination-*\`) must go: the gate never trains on them.

## 4. Read the scorecard

After the checks pass, loragate trains and evaluates your adapter and posts one comment on the pull request,
updated in place on every push. Its first line is the verdict (passes the bar or not), with one line per rule;
below it, one row per benchmark: the base's score, the adapter's, Δ (the adapter's minus the base's, in
points), the paired test's p and a 95% interval of Δ. Each row's role:

${rows.map(([role, what, settings]) => `- **${role}**: ${what.replace(/\.$/, "")}.${settings.map((line) => `\n  - ${line}`).join("")}`).join("\n")}

\`/loragate retrain\` (train and evaluate again) and \`/loragate evaluate\` re-run it. On merge, loragate adds
your adapter to registry.yaml and the registry's page by itself.
`;
}
