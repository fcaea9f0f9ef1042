#!/usr/bin/env bash
# Model size against accuracy. For each dataset: fastText (full and quantized) and ML.NET SDCA with their sizes
# (benchmarks/results/baselines.tsv), then the ngram preset trained once per seed and written in each storage layout,
# one lever at a time (benchmarks/results/compact.jsonl): full (weights.bin + model.onnx), one copy in model.onnx,
# touched rows float32, touched rows int8 (the compact default). Ends with the table and the plots
# (docs/images/size-accuracy-DATASET.png). Run it alone on the machine; about 1.5 hours on 2 cores.
# Usage: bash scripts/bench-compact.sh [datasets] [seeds]
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=${1:-"poetry-dynasty spam imdb"}
seeds=${2:-"1,2,3"}
bash scripts/setup.sh
command -v fasttext >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo apt-get install -y -qq fasttext >/dev/null; }
dotnet build benchmarks/MLNetAttention.Benchmarks -c Release -nologo -clp:ErrorsOnly
# A private copy, so rebuilding while the benchmark runs cannot swap assemblies under it.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cp -r benchmarks/MLNetAttention.Benchmarks/bin/Release/net10.0/. "$bin"
bench="$bin/MLNetAttention.Benchmarks"
results=${RESULTS:-benchmarks/results}
mkdir -p "$results"
for dataset in $datasets; do
  "$bench" baselines --dataset "$dataset" --results "$results/baselines.tsv"
  "$bench" compact --dataset "$dataset" --seeds "$seeds" --results "$results/compact.jsonl"
  # 4-head pooling, written full and compact (the most accurate recipe on spam).
  "$bench" compact --dataset "$dataset" --seeds "$seeds" --storages full,touched-int8 --set Model.Pooling=MultiHead --results "$results/compact.jsonl"
done
"$bench" size-plot --baselines "$results/baselines.tsv" --compact "$results/compact.jsonl" --output docs/images
