"""The trainer's side of the prompt agreement test (test/prompt-parity.test.ts), run with its Python.

  python prompt_ids.py SPEC.json

SPEC.json: {"records": [...], "bases": [{"label": ..., "dir": ..., "template_kwargs": {...}}]}. Reads training
records (any form train.py takes) and prints, as JSON, per base label and record: the token ids of the prompt its
last answer is trained after (train.tokenize's sequence up to the first label of that answer), the ids
train.encode_chat gives the conversation before the answer with the generation prompt, and the text of each run of
labelled tokens (what each assistant turn is trained on), decoded with its special tokens.
"""

import json
import sys
from pathlib import Path

from transformers import AutoTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runners" / "trainer"))
from train import Example, conversation_of, encode_chat, tokenize  # noqa: E402


def runs(labels: list[int]) -> list[tuple[int, int]]:
    starts = [i for i, label in enumerate(labels) if label != -100 and (i == 0 or labels[i - 1] == -100)]
    return [(s, next((i for i in range(s, len(labels)) if labels[i] == -100), len(labels))) for s in starts]


def prompts(tokenizer, records: list[dict], kwargs: dict) -> list[dict]:
    answers = []
    for number, record in enumerate(records, 1):
        turns = conversation_of(record, f"record {number}")
        ids, labels = tokenize(tokenizer, Example(f"record {number}", turns), 4096, kwargs)
        trained = runs(labels)
        answers.append(
            {
                "trained_after": ids[: trained[-1][0]],
                "prompt": encode_chat(tokenizer, turns[:-1], True, kwargs),
                "trained_on": [tokenizer.decode(ids[a:b], skip_special_tokens=False) for a, b in trained],
            }
        )
    return answers


spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
print(
    json.dumps(
        {
            base["label"]: prompts(
                AutoTokenizer.from_pretrained(base["dir"], local_files_only=True), spec["records"], base["template_kwargs"]
            )
            for base in spec["bases"]
        }
    )
)
