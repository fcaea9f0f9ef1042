#!/usr/bin/env bash
# Load on `mlnet-attention serve` over loopback: CLIENTS concurrent clients (default 32) post held-out poems of the
# bundled sample, one per request, for DURATION seconds (default 60), and the benchmarks' serve-load command prints
# requests/s, texts/s, latency p50/p95/p99, errors, whether every answer equals in-process ONNX Runtime scoring, and
# the server's resident memory at the start, middle and end.
#
#   scripts/bench-serve.sh                 trains a small poetry classifier (1 epoch, a few seconds) and loads it
#   MODEL=path scripts/bench-serve.sh      loads a model directory or .onnx file of yours instead
#
# Other settings: TEXTS (texts per request, default 1), SERVER_ARGS (extra serve options, e.g. "--max-wait-ms 1").
# Run it alone on the machine: the clients and the server share the cores, and a second busy process distorts both.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build MLNetAttention.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
tool="$PWD/src/MLNetAttention.Cli/bin/Release/net10.0/mlnet-attention.dll"
model="${MODEL:-}"
if [ -z "$model" ]; then
  scratch_model=$(mktemp -d)
  trap 'rm -rf "$scratch_model"' EXIT
  model=$scratch_model/poetry
  dotnet "$tool" train --data sample:poetry-dynasty --epochs 1 --threads 2 --out "$model" >/dev/null
fi
dotnet benchmarks/MLNetAttention.Benchmarks/bin/Release/net10.0/MLNetAttention.Benchmarks.dll serve-load \
  --model "$model" --tool "$tool" --clients "${CLIENTS:-32}" --seconds "${DURATION:-60}" \
  --texts-per-request "${TEXTS:-1}" --server-args "${SERVER_ARGS:-}"
