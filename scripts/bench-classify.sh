#!/usr/bin/env bash
# The accuracy benchmark: our presets over several seeds against fastText and ML.NET SDCA on the same
# deterministic splits, plus the training-speed figure. Run it alone on the machine (a second busy
# process slows thread pools 4-20x). Usage: bash scripts/bench-classify.sh [datasets] [presets] [seeds]
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=${1:-"poetry-dynasty imdb spam"}
presets=${2:-"attention,multihead"}
seeds=${3:-"1,2,3"}
bash scripts/setup.sh
command -v fasttext >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo apt-get install -y -qq fasttext >/dev/null; }
dotnet build benchmarks/MLNetAttention.Benchmarks -c Release -nologo -clp:ErrorsOnly
# A private copy, so rebuilding while a benchmark runs cannot swap assemblies under it.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cp -r benchmarks/MLNetAttention.Benchmarks/bin/Release/net10.0/. "$bin"
bench="$bin/MLNetAttention.Benchmarks"
results=${RESULTS:-benchmarks/results/classify.jsonl}
mkdir -p "$(dirname "$results")"
for dataset in $datasets; do
  "$bench" baselines --dataset "$dataset"
  "$bench" classify --dataset "$dataset" --presets "$presets" --seeds "$seeds" --results "$results"
  # The most accurate preset trains on all data for a fixed 5 epochs (no held-out split to stop on), single- and 4-head.
  "$bench" classify --dataset "$dataset" --presets ngram --seeds "$seeds" --epochs 5 --results "$results"
  "$bench" classify --dataset "$dataset" --presets ngram --seeds "$seeds" --epochs 5 --set Model.Pooling=MultiHead --results "$results"
done
"$bench" train-speed --dataset poetry-dynasty --epochs 3                    # conv + attention, the original's architecture
"$bench" train-speed --dataset poetry-dynasty --preset ngram --epochs 5     # the most accurate preset, its full run
