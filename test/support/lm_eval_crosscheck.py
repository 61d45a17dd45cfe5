"""EleutherAI's lm-evaluation-harness as a second opinion on adapters (test/real-families.test.ts).

  python lm_eval_crosscheck.py SPEC.json    # one adapter: its answer on stdout
  python lm_eval_crosscheck.py              # one SPEC.json path a line on stdin, one answer line each on stdout

The second form loads torch and lm-eval once for all the adapters of a run (seconds each time), and can be
started before the first spec is ready, so the load overlaps other work. SPEC.json: {"base": HF folder, "adapter": PEFT folder, "items": [{"id", "prompt", "expected", "ours"}],
"max_tokens": N, "enable_thinking": bool, "think_end": "</think>"}. Runs a generate_until task of those items through
lm-eval's hf backend (the PEFT adapter on the base, the chat template applied, greedy, float32 on CPU) and prints,
per item: the prompt's token ids as lm-eval encodes them, the generated text after its post-processing, its
exact_match (case-insensitive, white space and trailing punctuation ignored, as loragate's exact_match), and, where
loragate's raw answer ("ours") is not what transformers generates, the step where they part and the gap between
the top two logits there (a float near-tie, or a real difference).
"""

import json
import sys
import tempfile
import traceback
from pathlib import Path

import torch

torch.set_num_threads(1)

from lm_eval import simple_evaluate  # noqa: E402
from lm_eval.models.huggingface import HFLM  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

TASK = """task: loragate_crosscheck
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{prompt}}}}"
doc_to_target: "{{{{expected}}}}"
generation_kwargs:
  until: []
  max_gen_toks: {max_tokens}
  do_sample: false
  temperature: 0.0
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: false
    regexes_to_ignore: ["[.!?;:,]+\\\\s*$", "^\\\\s+", "\\\\s+$"]
"""


def crosscheck(spec_path: str) -> list[dict]:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    lm = HFLM(
        pretrained=spec["base"],
        peft=spec["adapter"],
        dtype="float32",
        device="cpu",
        batch_size=1,
        enable_thinking=spec["enable_thinking"],
        think_end_token=spec["think_end"],
    )
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "items.jsonl"
        data.write_text("".join(json.dumps(item) + "\n" for item in spec["items"]), encoding="utf-8")
        (Path(folder) / "task.yaml").write_text(
            TASK.format(data=json.dumps(str(data)), max_tokens=spec["max_tokens"]), encoding="utf-8"
        )
        results = simple_evaluate(
            model=lm,
            tasks=["loragate_crosscheck"],
            task_manager=TaskManager(include_path=folder),
            apply_chat_template=True,
            log_samples=True,
            num_fewshot=0,
        )
    out = []
    for sample in sorted(results["samples"]["loragate_crosscheck"], key=lambda s: s["doc_id"]):
        context = sample["arguments"][0][0]
        ids = lm.tok_batch_encode([context])[0][0].tolist()
        item = next(i for i in spec["items"] if i["id"] == sample["doc"]["id"])
        out.append(
            {
                "id": item["id"],
                "prompt_ids": ids,
                "text": sample["filtered_resps"][0],
                "exact_match": sample["exact_match"],
                "divergence": divergence(lm, ids, item["ours"], spec["max_tokens"]),
            }
        )
    return out


def divergence(lm, ids: list[int], ours: str, max_tokens: int) -> dict | None:
    """Where transformers' greedy tokens stop spelling loragate's raw answer, with the top-two logit gap there."""
    generated = lm.model.generate(
        input_ids=torch.tensor([ids]),
        attention_mask=torch.ones(1, len(ids), dtype=torch.long),
        max_new_tokens=max_tokens,
        do_sample=False,
        pad_token_id=lm.tokenizer.pad_token_id,
        output_scores=True,
        return_dict_in_generate=True,
    )
    tokens = generated.sequences[0][len(ids) :].tolist()
    eos = lm.model.generation_config.eos_token_id
    ends = set(eos if isinstance(eos, list) else [eos])
    text = ""
    for step, token in enumerate(tokens):
        if token in ends:
            break
        text = lm.tokenizer.decode(tokens[: step + 1], skip_special_tokens=False)
        if not ours.startswith(text) and not text.startswith(ours):
            top = torch.topk(generated.scores[step][0].float(), 2).values.tolist()
            return {"step": step, "gap": top[0] - top[1]}
    return None if text == ours or ours.startswith(text) and len(tokens) >= max_tokens else {"step": len(tokens), "gap": None}


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(crosscheck(sys.argv[1])))
    else:
        # a spec that fails is answered with its error, and the next ones still run
        for line in sys.stdin:
            try:
                answer = crosscheck(line.strip())
            except Exception:  # noqa: BLE001
                answer = {"error": traceback.format_exc()}
            print(json.dumps(answer), flush=True)
