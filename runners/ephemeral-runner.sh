#!/usr/bin/env bash
# Starts ONE just-in-time runner for one job on a GPU host, then removes it: no runner is reused, the
# workspace dies with the container, and no long-lived registration token sits on the machine.
#
#   GITHUB_APP_TOKEN=<short-lived token able to create JIT configs> \
#   ./ephemeral-runner.sh OWNER/REPO [labels]   (default labels: self-hosted,linux,gpu)
#
# The JIT config (POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig) is valid for one job.
set -euo pipefail
repo="${1:?usage: ephemeral-runner.sh OWNER/REPO [labels]}"
labels="${2:-self-hosted,linux,gpu}"
: "${GITHUB_APP_TOKEN:?set GITHUB_APP_TOKEN to a short-lived token (a GitHub App installation token)}"
[[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || { echo "not a repository: $repo" >&2; exit 2; }

name="loragate-gpu-$(hostname)-$(date +%s)"
labels_json=$(printf '%s' "$labels" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split(",")))')
jit=$(curl -fsS -X POST \
  -H "Authorization: Bearer $GITHUB_APP_TOKEN" -H "Accept: application/vnd.github+json" \
  "https://api.github.com/repos/$repo/actions/runners/generate-jitconfig" \
  -d "{\"name\":\"$name\",\"runner_group_id\":1,\"labels\":$labels_json,\"work_folder\":\"_work\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["encoded_jit_config"])')

# --rm: the container, its workspace and the JIT credentials are gone when the job ends.
exec docker run --rm --gpus all \
  -v /srv/loragate/models:/models:ro \
  -v /srv/loragate/hidden:/hidden:ro -e LORAGATE_HIDDEN_DIR=/hidden \
  -e LORAGATE_HARDWARE="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)" \
  ghcr.io/loragate/gpu-runner:latest ./run.sh --jitconfig "$jit"
