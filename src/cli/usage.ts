import { EVAL_USAGE } from "./eval-usage.ts";

/** Each command's usage, for `loragate --help` (all) and `loragate COMMAND --help` (one). */
export const COMMAND_USAGE: Record<string, string> = {
  init: `  loragate init [DIR]                 a new registry: registry.yaml, .github/loragate.yml, the two
                                      workflows, the proposal form, CONTRIBUTING.md (never overwrites)`,
  "pin-base": `  loragate pin-base --gguf FILE --hf-base FOLDER [--revision COMMIT] [registry-dir]
                                      pins the base in registry.yaml: the GGUF's sha256 and every
                                      file of the training base's folder`,
  "app-manifest": `  loragate app-manifest --name NAME --webhook-url URL [--org ORG] [--out FILE]
                                      a page that registers the GitHub App from app.yml (GitHub's
                                      manifest flow; NAME unique across GitHub); FILE: register-app.html`,
  check: `  loragate check [registry-dir] [--adapter NAME]... [--format text|json|github] [--hidden FILE]...
                                      --hidden: a maintainers' benchmark JSONL kept out of the
                                      registry; matched by id and counts only, never its text`,
  scorecard: `  loragate scorecard RESULTS.json [--registry DIR] [--format text|markdown]
                                      the bar verdict and scorecard of an evaluation (the bar from
                                      DIR/.github/loragate.yml; defaults otherwise); markdown: what
                                      the app posts`,
  proposal: `  loragate proposal check FILE.md [--registry DIR]
                                      an adapter-proposal issue body: what is missing, and the
                                      registry's adapters it overlaps with`,
  eval: EVAL_USAGE,
  import: `  loragate import locollm [LOCOLLM-DIR] --out DIR [--base-gguf FILE] [--base-revision REV]
                                      a LocoLLM repository as it is, written as a loragate registry
                                      with IMPORT_REPORT.md: the field mapping and every TODO`,
  site: `  loragate site [registry-dir] --out DIR
                                      the registry's static site: a leaderboard per domain, a card
                                      per adapter, every adapter against every benchmark`,
  demo: `  loragate demo [--out DIR] [--format text|markdown]
                                      the bundled fixture registry: check, contamination, and a real
                                      evaluation of its math adapter on a generated tiny model; leaves
                                      the base, the adapters, results.json and the site in DIR`,
};

/** Commands that print a scorecard: text for a terminal, or the markdown the app posts. */
export const SCORECARD_COMMANDS = new Set(["scorecard", "demo"]);

export const EXIT_CODES = `Exit codes: 0 clean (warnings allowed), 1 findings with errors, 2 usage or I/O error,
130/143 interrupted (Ctrl-C / SIGTERM).
`;

export const USAGE = `loragate — the merge gate for LoRA adapter registries

Usage:
${Object.values(COMMAND_USAGE).join("\n")}
  loragate --help | loragate COMMAND --help

${EXIT_CODES}`;

/** node:util's argument errors in a line a person reads: what was wrong, and where the options are listed. */
export function argumentError(error: Error): string {
  const code = (error as { code?: string }).code;
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option)
    return `unknown option ${option} (loragate --help lists the options)`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) return `option ${option} needs a value`;
  return error.message;
}
