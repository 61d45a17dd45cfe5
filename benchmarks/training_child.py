"""One training run for `npm run bench -- training`, in its own process so that peak memory is its own.

  python training_child.py train.py|plain RECIPE.json

train.py: runners/trainer/train.py's own loop. plain: the loop a PEFT tutorial writes, on the same
model, LoRA, tokens, batch size and optimizer: random batches padded to their longest example, the
model's own loss over every position's logits, loss.item() at every step. Prints one JSON line.
"""

import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runners" / "trainer"))
import train  # noqa: E402

mode, recipe_path = sys.argv[1], Path(sys.argv[2])
recipe = train.load_recipe(recipe_path)
examples = train.read_examples(recipe.dataset)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def held_loss(model, tokenizer) -> float:
    """The trained adapter's mean answer loss over every example, one at a time, dropout off: the
    same number for both loops (their logged step losses come from differently composed batches)."""
    import torch

    model.eval()
    total = 0.0
    with torch.no_grad():
        for example in examples:
            ids, labels = train.tokenize(tokenizer, example, recipe.max_seq_length, recipe.template_kwargs)
            total += train.answer_loss(model.get_base_model(), torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long), torch.tensor([labels])).item()
    return round(total / len(examples), 5)


if mode == "train.py":
    staging = Path(tempfile.mkdtemp()) / "out"
    summary = train.train(recipe, examples, train.StopSignals(), staging, expected=[], model_sample=None)
    losses = [json.loads(line)["loss"] for line in (staging / "loss.jsonl").read_text().splitlines()]
    result = {"wall_seconds": summary["wall_seconds"], "tokens_per_second": summary["tokens_per_second"]}
    peak = peak_rss_mb()  # before the evaluation below loads a second copy of the model
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(recipe.base_model)
    trained = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(recipe.base_model), staging)
    result["final_loss"] = held_loss(trained, tokenizer)
else:
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    tokenizer = AutoTokenizer.from_pretrained(recipe.base_model)
    model = AutoModelForCausalLM.from_pretrained(recipe.base_model, dtype=torch.float32)
    model = get_peft_model(model, train.lora_config(recipe))
    encoded = [train.tokenize(tokenizer, e, recipe.max_seq_length, recipe.template_kwargs) for e in examples]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=recipe.learning_rate)
    model.train()
    losses, tokens, started = [], 0, time.perf_counter()
    for epoch in range(recipe.epochs):
        order = list(range(len(encoded)))
        random.Random(recipe.seed + epoch).shuffle(order)
        for start in range(0, len(order), recipe.batch_size):
            batch = [encoded[i] for i in order[start : start + recipe.batch_size]]
            width = max(len(ids) for ids, _ in batch)
            ids = torch.tensor([i + [tokenizer.pad_token_id] * (width - len(i)) for i, _ in batch])
            labels = torch.tensor([l + [-100] * (width - len(l)) for _, l in batch])
            mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in batch])
            tokens += int(mask.sum())
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(round(loss.item(), 5))
    wall = time.perf_counter() - started
    result = {"wall_seconds": round(wall, 2), "tokens_per_second": round(tokens / wall, 1)}
    peak = peak_rss_mb()
    result["final_loss"] = held_loss(model, tokenizer)

print(json.dumps({"mode": mode, **result, "peak_rss_mb": round(peak), "loss": losses}))
