#!/usr/bin/env bash
# Makes the trainer's Python environment: .venv-trainer (or $LORAGATE_TRAINER_VENV) with
# runners/trainer/requirements-cpu.txt, and lm-evaluation-harness for the cross-check test. The tests, the demo and `npm run bench -- training` train with
# it; without it they use the committed trained fixture adapters, or skip and say so.
#
# Where pip is configured with local file:// indexes (machines without PyPI), the first one becomes the
# index and the others extra indexes: pip would otherwise spend minutes retrying PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${LORAGATE_TRAINER_VENV:-.venv-trainer}"

if [[ -z "${PIP_INDEX_URL:-}" ]]; then
  read -r -a local_indexes <<<"$(python3 -m pip config get global.extra-index-url 2>/dev/null | tr ' ' '\n' | grep '^file://' | tr '\n' ' ' || true)"
  if ((${#local_indexes[@]} > 0)); then
    export PIP_INDEX_URL="${local_indexes[0]}"
    export PIP_EXTRA_INDEX_URL="${local_indexes[*]:1}"
  fi
fi

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r runners/trainer/requirements-cpu.txt \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
# lm-evaluation-harness, for the test that cross-checks the harness with it (runners need none of it).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r runners/trainer/requirements-crosscheck.txt \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps lm-eval==0.4.13 \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
"$venv/bin/python" -c 'import torch, transformers, peft, lm_eval.evaluator; print(f"trainer environment: torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, lm-eval {lm_eval.__version__}")'
echo "the trainer's Python: $venv/bin/python"
