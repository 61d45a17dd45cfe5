#!/usr/bin/env python3
"""loragate trainer: retrains a LoRA adapter from a PR's data on the pinned base, exactly the declared recipe.

The action writes recipe.json (adapter.yaml's recipe, already validated and clamped to the registry's
limits by loragate's core); this script only reads data: nothing from the pull request is executed.

  PYTHON train.py --recipe recipe.json            train; writes adapter_model.safetensors,
                                                 adapter_config.json, loss.jsonl, summary.json
  PYTHON train.py --recipe recipe.json --plan     check the recipe and the data, print the plan (no torch)

PYTHON is the interpreter of the trainer's environment (requirements-gpu.txt on runners,
requirements-cpu.txt for tests and the demo); the action takes it from LORAGATE_TRAINER_PYTHON.

Exit codes: 0 trained, 2 bad recipe or data (the message names the line and the knob), 3 the loss
diverged (NaN/inf), 4 out of GPU memory, 5 stopped by SIGTERM/SIGINT, 6 the base model's folder does not
load (a missing or truncated file: one line names it), 7 the base's tokenizer frames the prompts given with
--check-prompts into other token ids than the evaluation's, or predicts other next tokens than the GGUF of
--check-model (the two pins are not one model). Only exit 0
leaves an adapter:
the output folder is written in full or not at all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import signal
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_OUT_OF_MEMORY = 4
EXIT_INTERRUPTED = 5
EXIT_BAD_BASE = 6
EXIT_TOKENIZER_MISMATCH = 7

TARGET_MODULES = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


class RecipeError(Exception):
    """A problem with recipe.json or the dataset, worded for the contributor."""


class Interrupted(Exception):
    """SIGTERM or SIGINT arrived: the run stops between steps and leaves no adapter."""


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
    # the chat template's variables the registry sets (enable_thinking), as the harness renders them
    template_kwargs: dict


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
    template_kwargs = raw.get("chat_template_kwargs", {})
    if not isinstance(template_kwargs, dict) or not all(
        key == "enable_thinking" and isinstance(value, bool) for key, value in template_kwargs.items()
    ):
        raise RecipeError("chat_template_kwargs may only set enable_thinking, to true or false")
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
        template_kwargs=template_kwargs,
    )


@dataclass(frozen=True)
class Example:
    """One training example as a conversation: an optional system turn, then user and assistant in turn."""

    where: str  # "dataset.jsonl:17", for messages
    turns: list[dict]


# Role names as the field writes them (ShareGPT's human/gpt included), as loragate's validation reads them.
ROLES = {"system": "system", "user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant"}


def turn_fields(turn: dict) -> tuple:
    """A turn's role and text: ShareGPT's (from, value) when it has "from", else (role, content); the
    one rule validation and contamination use too (turnFields in src/core/dataset/conversation.ts)."""
    return (turn.get("from"), turn.get("value")) if "from" in turn else (turn.get("role"), turn.get("content"))


# The prompt rule the harness asks benchmark items by (src/core/evaluation/prompt.ts): every text in
# Unicode's composed form (NFC: Qwen's tokenizers normalize so, llama.cpp does not), system and user texts
# stripped of ASCII white space at both ends (the same set as JavaScript's pattern there; Python's own
# strip() would also take \x1c-\x1f and \x85), assistant answers as written.
ASCII_SPACE = " \t\n\r\f\v"


def prompt_text(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip(ASCII_SPACE)


def user_turn(instruction: str, input_: str) -> str:
    """An instruction/input pair as one user turn: the instruction, then a blank line and the input."""
    instruction, input_ = prompt_text(instruction), prompt_text(input_)
    return f"{instruction}\n\n{input_}" if input_ else instruction


def conversation_of(record: dict, where: str) -> list[dict]:
    """The turns of a line in any of the three forms: instruction/input/output, OpenAI messages,
    ShareGPT conversations ({from, value} or {role, content})."""
    key = "messages" if "messages" in record else "conversations" if "conversations" in record else None
    if key is None:
        if not all(isinstance(record.get(k), str) for k in ("instruction", "input", "output")):
            raise RecipeError(f"{where}: needs instruction, input and output strings, or messages, or conversations")
        user = user_turn(record["instruction"], record["input"])
        answer = unicodedata.normalize("NFC", record["output"])
        return [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    raw = record[key]
    if not isinstance(raw, list):
        raise RecipeError(f"{where}: {key} must be a list of turns")
    turns = []
    for number, turn in enumerate(raw, 1):
        name, content = turn_fields(turn) if isinstance(turn, dict) else (None, None)
        if not isinstance(name, str) or not isinstance(content, str):
            raise RecipeError(f"{where}: turn {number} needs a role and a text")
        if name not in ROLES:
            raise RecipeError(f"{where}: turn {number} has role {name[:40]!r}; known: {', '.join(ROLES)}")
        role = ROLES[name]
        text = unicodedata.normalize("NFC", content) if role == "assistant" else prompt_text(content)
        turns.append({"role": role, "content": text})
    start = 1 if turns and turns[0]["role"] == "system" else 0
    expected = ["user" if (i - start) % 2 == 0 else "assistant" for i in range(start, len(turns))]
    if [t["role"] for t in turns[start:]] != expected or not expected or expected[-1] != "assistant":
        raise RecipeError(f"{where}: turns must be an optional system turn, then user and assistant in turn, ending with assistant")
    return turns


def read_examples(path: Path) -> list[Example]:
    """The training JSONL; loragate validated it, this refuses (at the line) what it cannot train on."""
    examples = []
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            where = f"{path.name}:{number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise RecipeError(f"{where}: not valid UTF-8 (byte {error.start + 1} of the line)") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise RecipeError(f"{where}: not JSON ({error.msg} at column {error.colno})") from None
            if not isinstance(record, dict):
                raise RecipeError(f"{where}: a JSON object is expected, got {type(record).__name__}")
            examples.append(Example(where, conversation_of(record, where)))
    if not examples:
        raise RecipeError(f"{path.name} holds no examples")
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


def plan(recipe: Recipe, examples: list[Example]) -> dict:
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


def encode_chat(tokenizer, messages: list[dict], add_generation_prompt: bool, template_kwargs: dict) -> list[int]:
    """Token ids of a conversation exactly as the harness builds them: the chat template's text (with the
    registry's template variables) with its special tokens parsed, and BOS only where the tokenizer adds one
    and the template did not already."""
    text = render_chat(tokenizer, messages, add_generation_prompt, template_kwargs)
    return with_bos(tokenizer, tokenizer(text, add_special_tokens=False)["input_ids"])


def render_chat(tokenizer, messages: list[dict], add_generation_prompt: bool, template_kwargs: dict) -> str:
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt, **template_kwargs
    )


def with_bos(tokenizer, ids: list[int]) -> list[int]:
    bos = tokenizer.bos_token_id
    if getattr(tokenizer, "add_bos_token", False) and bos is not None and ids[:1] != [bos]:
        return [bos, *ids]
    return ids


def answer_spans(tokenizer, example: Example, full: str, template_kwargs: dict) -> list[tuple[int, int]]:
    """Where, in the conversation's rendered text, each assistant turn is trained on: from the end of what
    the harness would ask that turn with (the generation prompt, where the full text starts with it) or
    else from the answer itself, to the end of the answer and of the end-of-turn token written right after
    it. So every assistant turn is trained on, on every family's template (Qwen3 rewrites earlier turns
    without their think block; Llama 3's template always appends an assistant header), and nothing the
    template writes after the end-of-turn token is.
    """
    added = tokenizer.added_tokens_decoder.values()
    enders = sorted((t.content for t in added if t.special and t.content), key=len, reverse=True)
    spans, cursor = [], 0
    for k, turn in enumerate(example.turns):
        if turn["role"] != "assistant":
            continue
        asked = render_chat(tokenizer, example.turns[:k], True, template_kwargs)
        shared = next((i for i, (a, b) in enumerate(zip(asked, full)) if a != b), min(len(asked), len(full)))
        whole_prompt = shared == len(asked)
        found = locate_answer(full, turn["content"], max(cursor, shared))
        if found is None:
            raise RecipeError(
                f"{example.where}: turn {k + 1}, an answer, is not written as given by the base's chat template, "
                "so it cannot be trained on as the model will be asked"
            )
        start, end = found
        ender = next((e for e in enders if full.startswith(e, end)), "")
        spans.append((len(asked) if whole_prompt else start, end + len(ender)))
        cursor = end + len(ender)
    return spans


def locate_answer(full: str, answer: str, after: int) -> tuple[int, int] | None:
    """The answer's text in the rendered conversation, as templates write it: as given, trimmed (Llama 3),
    or without leading newlines (Qwen3)."""
    for form in (answer, answer.strip(), answer.lstrip("\n"), answer.rstrip()):
        at = full.find(form, after) if form else -1
        if at >= 0:
            return at, at + len(form)
    return None


def tokenize(tokenizer, example: Example, max_length: int, template_kwargs: dict) -> tuple[list[int], list[int]]:
    """The conversation through the base's chat template; labels only on the assistant turns' tokens (each
    answer and its end-of-turn token), by the characters each token covers."""
    full = render_chat(tokenizer, example.turns, False, template_kwargs)
    spans = answer_spans(tokenizer, example, full, template_kwargs)
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids, labels = list(encoded["input_ids"]), [-100] * len(encoded["input_ids"])
    for i, (start, end) in enumerate(encoded["offset_mapping"]):
        if end > start and any(a <= start and end <= b for a, b in spans):
            labels[i] = ids[i]
    trained = [i for i, label in enumerate(labels) if label != -100]
    if not trained:
        raise RecipeError(f"{example.where}: the answers are empty once framed by the chat template")
    ids, labels = ids[: trained[-1] + 1], labels[: trained[-1] + 1]  # what follows the last answer teaches nothing
    framed = with_bos(tokenizer, ids)
    ids, labels = framed, [-100] * (len(framed) - len(ids)) + labels
    first_answer = next(i for i, label in enumerate(labels) if label != -100)
    if first_answer >= max_length:
        raise RecipeError(
            f"{example.where}: the prompt is {first_answer} tokens and training.max_seq_length is {max_length}, so "
            "nothing of the answer would be trained on: raise training.max_seq_length in adapter.yaml or "
            "shorten the example"
        )
    return ids[:max_length], labels[:max_length]


def lora_config(recipe: Recipe):
    """The recipe's LoRA, as PEFT takes it."""
    from peft import LoraConfig

    return LoraConfig(
        r=recipe.r,
        lora_alpha=recipe.alpha,
        lora_dropout=recipe.dropout,
        target_modules=recipe.target_modules,
        task_type="CAUSAL_LM",
    )


def answer_loss(causal_lm, ids, mask, labels):
    """The causal-LM loss (mean over answer tokens, as transformers computes it), with the vocabulary
    projection applied only where there is an answer token to predict. Prompts are most of the tokens
    and the head is the widest matrix (151,936 rows on Qwen3), so logits for every position are most of
    the step's work and memory on large vocabularies; the loss is the same."""
    import torch.nn.functional as F

    if getattr(causal_lm.config, "final_logit_softcapping", None) or not hasattr(causal_lm, "lm_head"):
        return causal_lm(input_ids=ids, attention_mask=mask, labels=labels).loss  # heads that do more
    hidden = causal_lm.model(input_ids=ids, attention_mask=mask).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != -100
    logits = causal_lm.lm_head(hidden[:, :-1][keep])
    return F.cross_entropy(logits.float(), targets[keep])


class StopSignals:
    """SIGTERM/SIGINT (a cancelled job) end training between two steps instead of killing it mid-write."""

    def __init__(self) -> None:
        self.received: str | None = None

    def __enter__(self) -> "StopSignals":
        self.previous = {sig: signal.signal(sig, self._note) for sig in (signal.SIGTERM, signal.SIGINT)}
        return self

    def __exit__(self, *_) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def _note(self, number, _frame) -> None:
        self.received = signal.Signals(number).name

    def check(self) -> None:
        if self.received:
            raise Interrupted(self.received)


class BaseError(Exception):
    """The base model's folder does not load: a file missing, truncated or not what its name says."""


@contextlib.contextmanager
def base_loading(folder: Path, what: str):
    """Turns a loader's failure into one line naming the base's folder and, when it says, the file."""
    try:
        yield
    except Exception as error:  # any loader's failure, safetensors' own error type included
        if "out of memory" in str(error).lower():
            raise
        first = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        raise BaseError(f"the base model's {what} in {folder} does not load ({type(error).__name__}: {first})") from None


class TokenizerMismatch(Exception):
    """The training base and the inference base are not one model: most prompts get other token ids, or
    the next-token probabilities after the same ids differ past quantization's noise."""


# Mean KL divergence (nats) of the GGUF's next-token distribution from the training base's, over the prompts
# of --check-model, above which the two are not one model. A Q4_K_M quantization's mean is ~0.03-0.07 and its
# 99th percentile ~0.5 on single tokens; a base and its instruct twin differ by several nats at the start of
# an assistant turn; the same weights in float32 on both sides differ by ~1e-9.
MAX_MODEL_KL = 0.5


def check_model(model, sample: dict, folder: Path) -> None:
    """The training base's next-token probabilities after each prompt against the GGUF's (its top tokens
    and the rest of the mass as one): refuses a GGUF of other weights that shares the tokenizer."""
    import torch

    divergences = []
    for prompt in sample["prompts"]:
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([prompt["ids"]], device=model.device)).logits[0, -1]
        training = torch.softmax(logits.double(), -1)
        tokens, gguf = [t for t, _ in prompt["top"]], torch.tensor([p for _, p in prompt["top"]], dtype=torch.float64)
        ours = training[tokens]  # the training base's probabilities of the GGUF's top tokens
        rest_gguf, rest_ours = max(1 - gguf.sum().item(), 1e-12), max(1 - ours.sum().item(), 1e-12)
        kl = (gguf * (gguf.clamp_min(1e-12) / ours.clamp_min(1e-12)).log()).sum().item()
        divergences.append((kl + rest_gguf * math.log(rest_gguf / rest_ours), prompt["label"]))
    mean = sum(kl for kl, _ in divergences) / max(1, len(divergences))
    if mean > MAX_MODEL_KL:
        kl, label = max(divergences)
        raise TokenizerMismatch(
            f"the training base {folder} and the evaluation's GGUF {sample['gguf']} predict different next tokens: "
            f"mean KL divergence {mean:.3f} nats over {len(divergences)} prompts (most at {label}: {kl:.3f}), where "
            f"quantization stays under {MAX_MODEL_KL}"
        )


def check_prompts(tokenizer, expected: list[dict], template_kwargs: dict) -> list[str]:
    """Every benchmark prompt, framed by this tokenizer and chat template, must give the ids the harness asks
    it with: otherwise the adapter would be trained on one tokenization and evaluated on another. When most
    differ, the two pins are not one model (raises); when a few do, these two tokenizers split those texts
    differently: they are returned, one line each, for the log and summary.json."""
    differing = []
    for prompt in expected:  # the harness's messages, already in the prompt rule's form (NFC included)
        ids = encode_chat(tokenizer, prompt["messages"], True, template_kwargs)
        if ids != prompt["ids"]:
            at = next((i for i, (a, b) in enumerate(zip(ids, prompt["ids"])) if a != b), min(len(ids), len(prompt["ids"])))
            mine = ids[at] if at < len(ids) else "end"
            theirs = prompt["ids"][at] if at < len(prompt["ids"]) else "end"
            differing.append(
                f"{prompt['label']}: {len(ids)} vs {len(prompt['ids'])} tokens, first difference at token {at + 1} "
                f"({mine} vs {theirs})"
            )
    if differing and 2 * len(differing) > len(expected):
        raise TokenizerMismatch(
            f"the training base's tokenizer and the evaluation's GGUF tokenize {len(differing)} of {len(expected)} "
            f"prompts differently (first: {differing[0]})"
        )
    return differing


def usable_cpus() -> tuple[int, str]:
    """The CPUs this process may really use: its affinity, bounded by the cgroup's CPU quota."""
    try:
        count, why = len(os.sched_getaffinity(0)), "affinity"
    except AttributeError:
        count, why = os.cpu_count() or 1, "cpu_count"
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max" and int(quota) // int(period) < count:
            count, why = max(1, int(quota) // int(period)), "cgroup quota"
    except (OSError, ValueError):
        pass
    return count, why


def training_threads() -> tuple[int, str]:
    """torch's CPU threads: the usable CPUs less those other work keeps busy (a thread that waits on a busy
    core stalls every step of the others: on a loaded 2-core machine the default made no progress in 6
    CPU-minutes where one thread trained in one), at most OMP_NUM_THREADS where set.
    LORAGATE_TRAINER_THREADS overrides."""
    cpus, why = usable_cpus()
    override = os.environ.get("LORAGATE_TRAINER_THREADS", "")
    if override.isdigit() and int(override) > 0:
        return int(override), f"LORAGATE_TRAINER_THREADS (of {cpus} CPUs usable by {why})"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    threads = max(1, min(cpus, cpus - int(load)))
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and 0 < int(omp) < threads:  # the caller's own bound (a test runner sharing the CPUs)
        return int(omp), f"OMP_NUM_THREADS, of {cpus} CPUs usable by {why}, load {load:.1f}"
    return threads, f"{cpus} CPUs usable by {why}, load {load:.1f}"


def train(
    recipe: Recipe, examples: list[Example], stop: StopSignals, staging: Path, expected: list[dict], model_sample: dict | None
) -> dict:
    """Trains and writes the adapter, loss.jsonl and summary.json into `staging`; returns the summary."""
    import torch  # the trainer's environment has them; --plan does not need them
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    cuda = torch.cuda.is_available()
    if not cuda:
        threads, why = training_threads()
        torch.set_num_threads(threads)
        print(f"training on {threads} CPU thread{'s' if threads > 1 else ''} ({why})", flush=True)
    dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
    options = {"dtype": dtype, "trust_remote_code": False, "use_safetensors": True, "local_files_only": True}
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
    with base_loading(recipe.base_model, "tokenizer"):
        tokenizer = AutoTokenizer.from_pretrained(recipe.base_model, trust_remote_code=False, local_files_only=True)
    if tokenizer.chat_template is None:
        raise RecipeError("the base model's tokenizer has no chat template")
    differing = check_prompts(tokenizer, expected, recipe.template_kwargs)
    for line in differing:
        print(f"warning: tokenized differently by the two tokenizers: {line}", file=sys.stderr, flush=True)
    encoded = [tokenize(tokenizer, e, recipe.max_seq_length, recipe.template_kwargs) for e in examples]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    with base_loading(recipe.base_model, "weights"):
        model = AutoModelForCausalLM.from_pretrained(recipe.base_model, **options)
    device = torch.device("cuda" if cuda else "cpu")
    if not recipe.quantize_4bit:
        model.to(device)
    if model_sample:
        check_model(model, model_sample, recipe.base_model)
    model = get_peft_model(model, lora_config(recipe))
    trainable = [p for p in model.parameters() if p.requires_grad]
    for p in trainable:  # the adapter trains in float32; the frozen base computes in bf16 under autocast
        p.data = p.data.float()
    autocast = torch.autocast(device_type="cuda", dtype=dtype, enabled=cuda and dtype != torch.float32)
    optimizer = torch.optim.AdamW(trainable, lr=recipe.learning_rate, fused=cuda)
    model.train()
    causal_lm = model.get_base_model()  # the LoRA layers are inside it

    losses = []
    total_steps = plan(recipe, examples)["steps"]
    step, real_tokens, started = 0, 0, time.perf_counter()
    pending = []  # losses still on the device: reading each one would stall every step

    def flush() -> None:
        values = torch.stack([loss for _, loss in pending]).float().cpu().tolist()
        for (at, _), value in zip(pending, values):
            if not math.isfinite(value):
                raise FloatingPointError(f"loss is {value} at step {at}")
            losses.append({"step": at, "loss": round(value, 5)})
        pending.clear()
        print(f"step {losses[-1]['step'] + 1}/{total_steps} loss {losses[-1]['loss']}", flush=True)

    for epoch in range(recipe.epochs):
        for batch in length_grouped_batches([len(ids) for ids, _ in encoded], recipe.batch_size, recipe.seed, epoch):
            stop.check()
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
                loss = answer_loss(causal_lm, ids, mask, labels)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            pending.append((step, loss.detach()))
            step += 1
            if len(pending) == 25:
                flush()
    if pending:
        flush()
    if cuda:
        torch.cuda.synchronize()
    wall = time.perf_counter() - started
    stop.check()
    model.save_pretrained(staging, safe_serialization=True)
    with (staging / "loss.jsonl").open("w", encoding="utf-8") as log:
        log.writelines(json.dumps(entry) + "\n" for entry in losses)
    summary = {
        **plan(recipe, examples),
        "steps": step,
        "wall_seconds": round(wall, 2),
        "tokens_per_second": round(real_tokens / wall, 1) if wall > 0 else None,
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        **({"prompts_tokenized_differently": differing} if differing else {}),
    }
    (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", required=True, type=Path, help="recipe.json written by the loragate action")
    parser.add_argument("--plan", action="store_true", help="check the recipe and data, print the plan, do not train")
    parser.add_argument(
        "--check-prompts",
        type=Path,
        help="JSON list of {label, messages, ids}: the token ids the evaluation asks each prompt with; "
        "training refuses to start (exit 7) when this base's tokenizer gives others",
    )
    parser.add_argument(
        "--check-model",
        type=Path,
        help="JSON {gguf, prompts: [{label, ids, top: [[id, p], ...]}]}: the evaluation's GGUF's next-token "
        "probabilities; training refuses to start (exit 7) when this base's differ past quantization's noise",
    )
    args = parser.parse_args(argv)
    with StopSignals() as stop:
        staging = None
        try:
            recipe = load_recipe(args.recipe)
            examples = read_examples(recipe.dataset)
            if args.plan:
                print(json.dumps(plan(recipe, examples)))
                return 0
            # Written aside and renamed when complete: a stopped or failed run leaves no adapter.
            staging = recipe.output_dir.with_name(recipe.output_dir.name + ".partial")
            for folder in (staging, recipe.output_dir):  # an earlier run's adapter is not this one's
                shutil.rmtree(folder, ignore_errors=True)
            expected = json.loads(args.check_prompts.read_text(encoding="utf-8")) if args.check_prompts else []
            model_sample = json.loads(args.check_model.read_text(encoding="utf-8")) if args.check_model else None
            summary = train(recipe, examples, stop, staging, expected, model_sample)
            stop.check()
            staging.rename(recipe.output_dir)
            print(json.dumps(summary))
            return 0
        except RecipeError as error:
            print(f"loragate trainer: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except Interrupted as error:
            print(f"loragate trainer: stopped by {error}; no adapter was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        except TokenizerMismatch as error:
            print(
                f"loragate trainer: {error}. registry.yaml's base.training and base.inference are not the same "
                "model: pin a GGUF converted from that very training base",
                file=sys.stderr,
            )
            return EXIT_TOKENIZER_MISMATCH
        except BaseError as error:
            print(
                f"loragate trainer: {error}. The runner's copy of the pinned base is incomplete or damaged: "
                "fetch it again (registry.yaml base.training pins its files by sha256).",
                file=sys.stderr,
            )
            return EXIT_BAD_BASE
        except FloatingPointError as error:
            print(
                f"loragate trainer: the loss diverged: {error}. Lower training.learning_rate in adapter.yaml "
                "(every example has an answer to train on, so the data is not the cause).",
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
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main(sys.argv[1:]))
