// Apart from eval-command.ts, so that `loragate --help` and `check` do not load the harness (node-llama-cpp).
export const EVAL_USAGE = `  loragate eval --base B.gguf [--adapter A.gguf] --benchmark F.jsonl [--out results.json]
                [--type numeric|exact_match|contains|regex|rouge_l|keywords|code] [--max-tokens 512]
  loragate eval --base B.gguf --adapter A.gguf --registry DIR --name ADAPTER [--out results.json]
                                      answers each item greedily with the base alone and with the
                                      adapter (--parallel N: N items at once, faster, identical
                                      only for some weight types, see README; --re2 (ask twice); --seed 42;
                                      --threads N, by default chosen by each context's work;
                                      --cache DIR keeps the base's answers in DIR and reuses
                                      them when base, benchmark and settings are the same)`;
