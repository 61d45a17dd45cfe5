#!/usr/bin/env python3
"""loragate trainer: retrains a LoRA adapter from a PR's data on the pinned base, exactly the declared recipe.

The action writes recipe.json (adapter.yaml's recipe, already validated and clamped to the registry's
limits by loragate's core); this script only reads data: nothing from the pull request is executed.

  python3 train.py --recipe recipe.json            train; writes adapter_model.safetensors,
                                                   adapter_config.json, loss.jsonl, summary.json
  python3 train.py --recipe recipe.json --plan     check the recipe and the data, print the plan (no torch)

Exit codes: 0 trained, 2 bad recipe or data, 3 the loss diverged (NaN/inf), 4 out of GPU memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_OUT_OF_MEMORY = 4

TARGET_MODULES = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


class RecipeError(Exception):
    """A problem with recipe.json or the dataset, worded for the contributor."""


@dataclass(frozen=True)
class Recipe:
    base_model: Path
    dataset: Path
    output_dir: Path
    r: int
    alpha: float
    dropout: float
    target_modules: list[str]
    epochs: int
    learning_rate: float
    batch_size: int
    max_seq_length: int
    seed: int
    quantize_4bit: bool


def _number(raw: dict, key: str, kind: type, low: float, high: float):
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecipeError(f"{key} must be a number, got {value!r}")
    if kind is int and int(value) != value:
        raise RecipeError(f"{key} must be a whole number, got {value}")
    if not (low <= value <= high) or math.isnan(value):
        raise RecipeError(f"{key} must be between {low} and {high}, got {value}")
    return kind(value)


def load_recipe(path: Path) -> Recipe:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RecipeError(f"cannot read {path}: {error}") from None
    if not isinstance(raw, dict):
        raise RecipeError("recipe.json must hold an object")
    modules = raw.get("target_modules")
    if not isinstance(modules, list) or not modules or not set(modules) <= TARGET_MODULES:
        raise RecipeError(f"target_modules must be a non-empty subset of {sorted(TARGET_MODULES)}")
    paths = {}
    for key in ("base_model", "dataset", "output_dir"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise RecipeError(f"{key} must be a path")
        paths[key] = Path(raw[key])
    if not (paths["base_model"] / "config.json").is_file():
        raise RecipeError(f"base_model {paths['base_model']} has no config.json (the runner's model cache)")
    if not paths["dataset"].is_file():
        raise RecipeError(f"dataset {paths['dataset']} not found")
    return Recipe(
        **paths,
        r=_number(raw, "r", int, 1, 256),
        alpha=_number(raw, "alpha", float, 1e-6, 1024),
        dropout=_number(raw, "dropout", float, 0, 0.9),
        target_modules=list(modules),
        epochs=_number(raw, "epochs", int, 1, 100),
        learning_rate=_number(raw, "learning_rate", float, 1e-7, 1e-2),
        batch_size=_number(raw, "batch_size", int, 1, 1024),
        max_seq_length=_number(raw, "max_seq_length", int, 16, 32768),
        seed=_number(raw, "seed", int, 0, 2**32 - 1),
        quantize_4bit=bool(raw.get("quantize_4bit", False)),
    )


def read_examples(path: Path) -> list[dict]:
    """The training JSONL; loragate validated it, this only refuses what it cannot train on."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise RecipeError(f"{path}:{number}: not JSON") from None
            if not all(isinstance(record.get(k), str) for k in ("instruction", "input", "output")):
                raise RecipeError(f"{path}:{number}: needs instruction, input and output strings")
            examples.append(record)
    if not examples:
        raise RecipeError(f"{path} holds no examples")
    return examples


def length_grouped_batches(lengths: list[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Shuffled batches of similar lengths: padding is not wasted, and the order still varies per epoch.

    Examples are shuffled, cut into windows of 50 batches, sorted by length within a window, split
    into batches, and the batches shuffled. Every example appears once per epoch; the batch size and
    so the step count are exactly the recipe's.
    """
    rng = random.Random(seed * 1000 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def plan(recipe: Recipe, examples: list[dict]) -> dict:
    steps_per_epoch = math.ceil(len(examples) / recipe.batch_size)
    return {
        "examples": len(examples),
        "epochs": recipe.epochs,
        "batch_size": recipe.batch_size,
        "steps": steps_per_epoch * recipe.epochs,
        "lora": {"r": recipe.r, "alpha": recipe.alpha, "dropout": recipe.dropout, "targets": recipe.target_modules},
        "learning_rate": recipe.learning_rate,
        "max_seq_length": recipe.max_seq_length,
        "seed": recipe.seed,
        "quantize_4bit": recipe.quantize_4bit,
    }


def tokenize(tokenizer, example: dict, max_length: int) -> tuple[list[int], list[int]]:
    """Prompt + response through the base's chat template; labels only on the response tokens."""
    user = example["instruction"] if not example["input"] else f"{example['instruction']}\n\n{example['input']}"
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": user}], tokenize=True, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(
        [{"role": "user", "content": user}, {"role": "assistant", "content": example["output"]}], tokenize=True
    )
    full = full[:max_length]
    # Templates may render the generation prompt slightly differently from a finished turn (Qwen3's
    # think block): mask what the two share, train on everything after.
    shared = next((i for i, (a, b) in enumerate(zip(prompt, full)) if a != b), min(len(prompt), len(full)))
    labels = [-100] * shared + full[shared:]
    return full, labels


def train(recipe: Recipe, examples: list[dict]) -> dict:
    import torch  # the runner image has them; --plan does not need them
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    cuda = torch.cuda.is_available()
    dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
    options = {"torch_dtype": dtype, "trust_remote_code": False, "use_safetensors": True, "local_files_only": True}
    if recipe.quantize_4bit:
        try:
            from transformers import BitsAndBytesConfig

            import bitsandbytes  # noqa: F401  (present only where 4-bit is possible)
        except ImportError:
            raise RecipeError("quantize_4bit needs bitsandbytes on the runner") from None
        options["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype
        )
        options["device_map"] = {"": 0}
    tokenizer = AutoTokenizer.from_pretrained(recipe.base_model, trust_remote_code=False, local_files_only=True)
    if tokenizer.chat_template is None:
        raise RecipeError("the base model's tokenizer has no chat template")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    model = AutoModelForCausalLM.from_pretrained(recipe.base_model, **options)
    device = torch.device("cuda" if cuda else "cpu")
    if not recipe.quantize_4bit:
        model.to(device)
    model = get_peft_model(
        model,
        LoraConfig(
            r=recipe.r,
            lora_alpha=recipe.alpha,
            lora_dropout=recipe.dropout,
            target_modules=recipe.target_modules,
            task_type="CAUSAL_LM",
        ),
    )
    encoded = [tokenize(tokenizer, e, recipe.max_seq_length) for e in examples]
    trainable = [p for p in model.parameters() if p.requires_grad]
    for p in trainable:  # the adapter trains in float32; the frozen base computes in bf16 under autocast
        p.data = p.data.float()
    autocast = torch.autocast(device_type="cuda", dtype=dtype, enabled=cuda and dtype != torch.float32)
    optimizer = torch.optim.AdamW(trainable, lr=recipe.learning_rate, fused=cuda)
    model.train()

    log_path = recipe.output_dir / "loss.jsonl"
    recipe.output_dir.mkdir(parents=True, exist_ok=True)
    step, real_tokens, started = 0, 0, time.perf_counter()
    pending = []  # losses still on the GPU: reading each one would stall every step

    def flush(log) -> None:
        values = torch.stack([loss for _, loss in pending]).float().cpu().tolist()
        for (at, _), value in zip(pending, values):
            if not math.isfinite(value):
                raise FloatingPointError(f"loss is {value} at step {at}")
            log.write(json.dumps({"step": at, "loss": round(value, 5)}) + "\n")
        pending.clear()

    with log_path.open("w", encoding="utf-8") as log:
        for epoch in range(recipe.epochs):
            for batch in length_grouped_batches([len(ids) for ids, _ in encoded], recipe.batch_size, recipe.seed, epoch):
                width = max(len(encoded[i][0]) for i in batch)
                ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                labels = torch.full((len(batch), width), -100, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    tokens, targets = encoded[i]
                    ids[row, : len(tokens)] = torch.tensor(tokens)
                    labels[row, : len(targets)] = torch.tensor(targets)
                    mask[row, : len(tokens)] = 1
                real_tokens += int(mask.sum())
                ids, labels, mask = (t.pin_memory().to(device, non_blocking=True) if cuda else t for t in (ids, labels, mask))
                with autocast:
                    loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                pending.append((step, loss.detach()))
                step += 1
                if len(pending) == 25:
                    flush(log)
        if pending:
            flush(log)
    if cuda:
        torch.cuda.synchronize()
    wall = time.perf_counter() - started
    model.save_pretrained(recipe.output_dir, safe_serialization=True)
    return {
        "steps": step,
        "wall_seconds": round(wall, 2),
        "tokens_per_second": round(real_tokens / wall, 1) if wall > 0 else None,
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "device": torch.cuda.get_device_name() if cuda else "cpu",
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", required=True, type=Path, help="recipe.json written by the loragate action")
    parser.add_argument("--plan", action="store_true", help="check the recipe and data, print the plan, do not train")
    args = parser.parse_args(argv)
    try:
        recipe = load_recipe(args.recipe)
        examples = read_examples(recipe.dataset)
        if args.plan:
            print(json.dumps(plan(recipe, examples)))
            return 0
        summary = {**plan(recipe, examples), **train(recipe, examples)}
        (recipe.output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(summary))
        return 0
    except RecipeError as error:
        print(f"loragate trainer: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FloatingPointError as error:
        print(
            f"loragate trainer: the loss diverged: {error}. Lower training.learning_rate, or check the data for "
            "examples whose output is empty or all padding.",
            file=sys.stderr,
        )
        return EXIT_DIVERGED
    except RuntimeError as error:
        if "out of memory" not in str(error).lower():
            raise
        print(
            "loragate trainer: out of GPU memory. Lower training.batch_size or training.max_seq_length in "
            "adapter.yaml (the longest examples set the peak), or ask maintainers for 4-bit training.",
            file=sys.stderr,
        )
        return EXIT_OUT_OF_MEMORY


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main(sys.argv[1:]))
