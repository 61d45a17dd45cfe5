"""The trainer's side of the prompt agreement test (test/prompt-parity.test.ts), run with its Python.

  python prompt_ids.py RECORDS.json BASE_DIR...

Reads training records (any form train.py takes) and prints, as JSON, per base folder and record: the token ids of the
prompt its last answer is trained after (train.tokenize's sequence up to the first label of that answer)
and the ids train.encode_chat gives the conversation before the answer with the generation prompt.
"""

import json
import sys
from pathlib import Path

from transformers import AutoTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runners" / "trainer"))
from train import Example, conversation_of, encode_chat, tokenize  # noqa: E402



def prompts(tokenizer, records: list[dict]) -> list[dict]:
    answers = []
    for number, record in enumerate(records, 1):
        turns = conversation_of(record, f"record {number}")
        ids, labels = tokenize(tokenizer, Example(f"record {number}", turns), 4096)
        starts = [i for i, label in enumerate(labels) if label != -100 and (i == 0 or labels[i - 1] == -100)]
        answers.append({"trained_after": ids[: starts[-1]], "prompt": encode_chat(tokenizer, turns[:-1], True)})
    return answers


records = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
print(json.dumps({base: prompts(AutoTokenizer.from_pretrained(base, local_files_only=True), records) for base in sys.argv[2:]}))
