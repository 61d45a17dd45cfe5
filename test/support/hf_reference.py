"""The Hugging Face side of the agreement test (test/tiny-base.test.ts), run with the trainer's Python.

  python hf_reference.py BASE_DIR OUT_DIR PROMPTS.json [--rslora]
  python hf_reference.py        # one job a line on stdin: those arguments as a JSON array

Writes a PEFT LoRA for BASE_DIR into OUT_DIR/adapter (random A and B, so that it changes the output;
dropout 0.05, off in eval) and prints, as JSON, per prompt: the token ids the trainer builds
(train.encode_chat) and the next-token probabilities of base + LoRA. The second form answers each job with
one JSON line ({"error": ...} for a job that failed): torch, transformers and PEFT load once for all.
"""

import json
import sys
import traceback
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runners" / "trainer"))
from train import encode_chat  # noqa: E402


def reference(args: list[str]) -> list[dict]:
    base, out, prompts_file = Path(args[0]), Path(args[1]), Path(args[2])
    torch.manual_seed(7)  # each job as a process of its own would start
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32)
    config = LoraConfig(
        r=8,
        lora_alpha=16,
        lora_dropout=0.05,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        use_rslora="--rslora" in args,
        init_lora_weights=False,  # random B as well as A: a LoRA that does something
        task_type="CAUSAL_LM",
    )
    get_peft_model(model, config).save_pretrained(out / "adapter", safe_serialization=True)

    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32)
    lora = PeftModel.from_pretrained(model, out / "adapter").eval()
    answers = []
    for prompt in json.loads(prompts_file.read_text(encoding="utf-8")):
        ids = encode_chat(tokenizer, [{"role": "user", "content": prompt}], True, {})
        with torch.no_grad():
            probabilities = torch.softmax(lora(torch.tensor([ids])).logits[0, -1].double(), -1)
        answers.append({"ids": ids, "probabilities": probabilities.tolist()})
    return answers


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(reference(sys.argv[1:])))
    else:
        for line in sys.stdin:
            try:
                answer = reference(json.loads(line))
            except Exception:  # noqa: BLE001
                answer = {"error": traceback.format_exc()}
            print(json.dumps(answer), flush=True)
