#!/usr/bin/env bash
# Multi-head pooling: do the heads look at different tokens? Trains single- and 4-head models over three seeds and
# records accuracy, the weights' Jensen-Shannon divergence from uniform and the head diversity ratio
# (benchmarks/results/heads.jsonl), then runs the per-head erasure test on demo-size models.
# Run it alone on the machine; roughly 2 hours on 2 cores. Usage: bash scripts/bench-heads.sh [quick]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build MLNetAttention.sln -c Release -nologo -clp:ErrorsOnly
# Private copies, so rebuilding while the benchmark runs cannot swap assemblies under it.
bin=$(mktemp -d); cli=$(mktemp -d)
# Each copy holds libtorch (about 1 GB): remove them however the script ends.
trap 'rm -rf "$bin" "$cli"' EXIT
cp -r benchmarks/MLNetAttention.Benchmarks/bin/Release/net10.0/. "$bin"
cp -r src/MLNetAttention.Cli/bin/Release/net10.0/. "$cli"
bench="$bin/MLNetAttention.Benchmarks"
CLI="dotnet $cli/mlnet-attention.dll"
results=${RESULTS:-benchmarks/results/heads.jsonl}
OUT=${OUT:-artifacts/bench-heads}
mkdir -p "$OUT" "$(dirname "$results")"
classify() { "$bench" classify --results "$results" "$@"; }

# The bundled sample (the demo's data and settings: conv encoder, 6 epochs, early stopping): the levers one at a time,
# each from the defaults (no penalty, no head dropout).
S=sample:poetry-dynasty
classify --dataset $S --presets attention --seeds 1,2,3 --epochs 6
classify --dataset $S --presets multihead --seeds 1,2,3 --epochs 6
for lever in "Model.SeparateHeadKeys=true" "Model.HeadDropout=0.3"; do
  classify --dataset $S --presets multihead --seeds 1,2,3 --epochs 6 --set "$lever"
done
for penalty in 0.03 0.1 0.3 1; do
  classify --dataset $S --presets multihead --seeds 1,2,3 --epochs 6 --set Model.HeadDropout=0 --set Model.DiversityPenalty=$penalty
done
classify --dataset $S --presets multihead --seeds 1,2,3 --epochs 6 --set Model.DiversityPenalty=0.1 --set Model.HeadDropout=0.3   # the demo's recipe
[ "${1:-}" = quick ] && exit 0

# Full data sets: the defaults (no penalty, no head dropout) and the demo's recipe against one head.
classify --dataset poetry-dynasty --presets attention --seeds 1,2,3 --epochs 10
classify --dataset poetry-dynasty --presets multihead --seeds 1,2,3 --epochs 10
classify --dataset poetry-dynasty --presets multihead --seeds 1,2,3 --epochs 10 --set Model.DiversityPenalty=0.1 --set Model.HeadDropout=0.3
classify --dataset poetry-dynasty --presets multihead --seeds 1 --epochs 10 --set Model.DiversityPenalty=0.03 --set Model.HeadDropout=0.3
classify --dataset poetry-dynasty --presets ngram --seeds 1,2,3 --epochs 5
classify --dataset poetry-dynasty --presets ngram --seeds 1,2,3 --epochs 5 --set Model.Pooling=MultiHead
for penalty in 0.01 0.1 1; do
  classify --dataset poetry-dynasty --presets ngram --seeds 1 --epochs 5 --set Model.Pooling=MultiHead --set Model.DiversityPenalty=$penalty
done
classify --dataset imdb --presets ngram --seeds 1,2,3 --epochs 5
classify --dataset imdb --presets ngram --seeds 1,2,3 --epochs 5 --set Model.Pooling=MultiHead

# Per-head erasure test on demo-size 4-head models (the demo's training settings; every recipe spells out both head
# options, since 4 heads on characters train with overlap 0.01 and head dropout 0.3 by default).
for seed in 1 2 3; do
  for recipe in "penalty-0.1:--diversity-penalty 0.1 --head-overlap-penalty 0 --head-dropout 0" "demo-recipe:--diversity-penalty 0.1 --head-overlap-penalty 0 --head-dropout 0.3" \
      "head-dropout-0.5:--diversity-penalty 0.1 --head-overlap-penalty 0 --head-dropout 0.5" "separate-keys:--diversity-penalty 0.1 --head-overlap-penalty 0 --head-dropout 0 --separate-head-keys true"; do
    name=${recipe%%:*}; flags=${recipe#*:}; d="$OUT/demo-multihead-$name-$seed"
    # shellcheck disable=SC2086
    $CLI train --data $S --pooling multihead --epochs 6 --patience 2 --min-freq 2 --seed $seed $flags --out "$d" > "$d.train.log" 2>&1
    $CLI faithfulness --model "$d" --data $S --explainers none --importance-examples 0 | tee "$d.faithfulness.md"
    $CLI evaluate --model "$d" --data $S | tee "$d.evaluate.txt"
  done
done

# One demo-size run as the demo trains (6 epochs, early stopping), then evaluate and the erasure test, as JSON beside the
# model directory. Arguments: the directory, then the train flags.
demo_size_run() {
  local d=$1; shift
  $CLI train --data $S --epochs 6 --patience 2 --threads 2 "$@" --out "$d" > "$d.train.log" 2>&1
  $CLI evaluate --model "$d" --data $S --json > "$d.evaluate.json"
  $CLI faithfulness --model "$d" --data $S --max-examples 800 --importance-examples 0 --json > "$d.faithfulness.json"
}

# The head overlap penalty against the demo's earlier recipe, trained and scored through the CLI as the demo trains
# (benchmarks/results/heads-overlap.tsv: accuracy, divergence from uniform, diversity ratio, heads under 3x erasure).
overlap=${OVERLAP_RESULTS:-benchmarks/results/heads-overlap.tsv}
[ -f "$overlap" ] || printf 'config\tseed\taccuracy\tfrom_uniform\tratio\theads_failing_3x\n' > "$overlap"
for seed in 42 1 2; do
  for recipe in "single:" "demo-before:--diversity-penalty 0.1 --head-overlap-penalty 0 --head-dropout 0.3" "overlap0.01-hd0.3:--head-overlap-penalty 0.01 --head-dropout 0.3" \
      "overlap0.03:--head-overlap-penalty 0.03 --head-dropout 0" "overlap0.03-hd0.3:--head-overlap-penalty 0.03 --head-dropout 0.3" \
      "overlap0.03-hd0.5:--head-overlap-penalty 0.03 --head-dropout 0.5" "overlap0.1:--head-overlap-penalty 0.1 --head-dropout 0" \
      "overlap0.3:--head-overlap-penalty 0.3 --head-dropout 0" "overlap1:--head-overlap-penalty 1 --head-dropout 0"; do
    name=${recipe%%:*}; flags=${recipe#*:}; d="$OUT/overlap-$name-$seed"
    pooling="--pooling multihead --heads 4"; [ "$name" = single ] && pooling="--pooling attention"
    # shellcheck disable=SC2086
    demo_size_run "$d" $pooling --seed $seed $flags
    python3 - "$name" "$seed" "$d" >> "$overlap" <<'PY'
import json, sys
name, seed, d = sys.argv[1:]
metrics = json.load(open(d + ".evaluate.json", encoding="utf-8-sig")); heads = metrics.get("headDiversity") or {}
report = json.load(open(d + ".faithfulness.json", encoding="utf-8-sig"))
erasures = [e for key, value in report.items() if key.lower() == "headerasures" for e in value]
failing = len({e.get("head") for e in erasures if not e.get("holds")})
print(f"{name}\t{seed}\t{metrics['accuracy']}\t{heads.get('divergenceFromUniform')}\t{heads.get('diversityRatio')}\t{failing}")
PY
  done
done

# The head flatness penalty on top of the demo's recipe and the characters' default, same demo-size runs
# (benchmarks/results/heads-flatness.tsv, with each head's divergence from uniform as a last column).
flat=${FLAT_RESULTS:-benchmarks/results/heads-flatness.tsv}
[ -f "$flat" ] || printf 'config\tseed\taccuracy\tfrom_uniform\tratio\theads_failing_3x\tper_head_from_uniform\n' > "$flat"
for recipe in "overlap0.03-hd0.5-flat0.1:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-flatness-penalty 0.1" \
    "overlap0.03-hd0.5-flat0.3:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-flatness-penalty 0.3" \
    "overlap0.03-hd0.5-flat0.01:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-flatness-penalty 0.01" \
    "overlap0.03-hd0.5-flat0.003:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-flatness-penalty 0.003" \
    "overlap0.01-hd0.3-flat0.01:--head-overlap-penalty 0.01 --head-dropout 0.3 --head-flatness-penalty 0.01"; do
  for seed in 42 1 2; do
    name=${recipe%%:*}; flags=${recipe#*:}; d="$OUT/flat-$name-$seed"
    # shellcheck disable=SC2086
    demo_size_run "$d" --pooling multihead --heads 4 --seed $seed $flags
    python3 - "$name" "$seed" "$d" >> "$flat" <<'PY'
import json, sys
name, seed, d = sys.argv[1:]
metrics = json.load(open(d + ".evaluate.json", encoding="utf-8-sig")); heads = metrics.get("headDiversity") or {}
report = json.load(open(d + ".faithfulness.json", encoding="utf-8-sig"))
erasures = [e for key, value in report.items() if key.lower() == "headerasures" for e in value]
failing = len({e.get("head") for e in erasures if not e.get("holds")})
per_head = [round(x, 4) for x in heads.get("headDivergenceFromUniform") or []]
print(f"{name}\t{seed}\t{metrics['accuracy']}\t{heads.get('divergenceFromUniform')}\t{heads.get('diversityRatio')}\t{failing}\t{per_head}")
PY
  done
done

# Full poetry-dynasty through the CLI: the conv encoder's 4 heads plain and with the default on characters (overlap
# 0.01 + head dropout 0.3), and the ngram preset's 4 heads, each with the per-head erasure test on 1,000 test poems
# (outputs in $OUT/full-*; figures in docs/benchmarks.md).
classify --dataset poetry-dynasty --presets multihead --seeds 1,2,3
classify --dataset poetry-dynasty --presets multihead --seeds 1,2,3 --set Model.HeadOverlapPenalty=0.01 --set Model.HeadDropout=0.3
for seed in 42 1 2 3; do
  for recipe in "conv-plain:--head-overlap-penalty 0 --head-dropout 0" "conv-default:" \
      "ngram-default:--preset ngram --companion-pooling multihead --head-solo-loss 0 --head-flatness-penalty 0"; do
    name=${recipe%%:*}; flags=${recipe#*:}; d="$OUT/full-$name-$seed"
    # shellcheck disable=SC2086
    $CLI train --data poetry-dynasty --pooling multihead $flags --seed $seed --out "$d" > "$d.train.log" 2>&1
    $CLI evaluate --model "$d" --data poetry-dynasty --json > "$d.evaluate.json"
    $CLI faithfulness --model "$d" --data poetry-dynasty --max-examples 1000 --importance-examples 0 --explainers none | tee "$d.faithfulness.md"
  done
done

# The solo-head loss (--head-solo-loss: each head also classifies the text alone). Demo-size runs as above, without
# and with the demo's --min-freq 2 (benchmarks/results/heads-solo.tsv, heads-solo-demo.tsv), then full poetry-dynasty
# through the CLI with the per-head erasure test and one head for comparison (heads-solo-full.tsv, with each model's
# lowest per-head ratio); the conv rows with solo 1 are the default on characters now. The last rows try the preset
# with more overlap, with --companion-head-pairing (head h of both networks asked to favour the same tokens), and with
# the solo-head loss on the bigram network and none or less on its conv companion (--companion-head-solo-loss).
summarise() {  # name seed directory: one TSV row from evaluate.json and faithfulness.json
  python3 - "$@" <<'PY'
import json, os, sys
name, seed, d = sys.argv[1:]
metrics = json.load(open(d + ".evaluate.json", encoding="utf-8-sig")); heads = metrics.get("headDiversity") or {}
erasures = []
if os.path.exists(d + ".faithfulness.json"):
    report = json.load(open(d + ".faithfulness.json", encoding="utf-8-sig"))
    erasures = [e for key, value in report.items() if key.lower() == "headerasures" for e in value]
failing = len({e.get("head") for e in erasures if not e.get("holds")}) if erasures else ""
lowest = f"{min(e['ratio'] for e in erasures):.2f}" if erasures else ""
uniform = heads.get("divergenceFromUniform", metrics.get("divergenceFromUniform"))
per_head = [round(x, 4) for x in heads.get("headDivergenceFromUniform") or []]
print(f"{name}\t{seed}\t{metrics['accuracy']}\t{uniform}\t{heads.get('diversityRatio', '')}\t{failing}\t{lowest}\t{per_head}")
PY
}
start_tsv() {  # file: the TSV header summarise's rows go under, unless the file exists
  [ -f "$1" ] || printf 'config\tseed\taccuracy\tfrom_uniform\tratio\theads_failing_3x\tlowest_head_ratio\tper_head_from_uniform\n' > "$1"
}
full_size_run() {  # directory, then train flags: full poetry-dynasty through the CLI, evaluated; multi-head models also
  # get the per-head erasure test on 1,000 test poems
  local d=$1; shift
  $CLI train --data poetry-dynasty "$@" --out "$d" > "$d.train.log" 2>&1
  $CLI evaluate --model "$d" --data poetry-dynasty --json > "$d.evaluate.json"
  case " $* " in
    *" --pooling multihead "*) $CLI faithfulness --model "$d" --data poetry-dynasty --max-examples 1000 --importance-examples 0 --explainers none --json > "$d.faithfulness.json" ;;
  esac
}
ngram_before_mean_companion() {  # train flags -> the same flags with the ngram preset's multi-head recipe as it was
  # before its companion mean-pooled (companion heads as the first network's, no solo-head loss, no flatness penalty),
  # so the rows recorded then reproduce; flags given explicitly stay as they are
  local flags=" $* "
  case "$flags" in *" --preset ngram "*) ;; *) echo "$*"; return ;; esac
  case "$flags" in *" --head-solo-loss "*) ;; *) flags+="--head-solo-loss 0 " ;; esac
  case "$flags" in *" --head-flatness-penalty "*) ;; *) flags+="--head-flatness-penalty 0 " ;; esac
  case "$flags" in *" --companion-pooling "*|*" --companion-single-head "*|*" --companion ngram "*) ;; *) flags+="--companion-pooling multihead " ;; esac
  echo $flags
}
full_size_recipes() {  # results file, then recipes "name:train flags:seeds": each seed trained through full_size_run and
  # summarised; multi-head unless the flags choose a pooling. Set NGRAM_NOW=1 for recipes of the preset as it is now;
  # otherwise ngram recipes train as the preset was before its mean-pooling companion
  local results=$1; shift
  start_tsv "$results"
  for recipe in "$@"; do
    local name=${recipe%%:*} rest=${recipe#*:}; local flags=${rest%%:*} seeds=${rest#*:} pooling="--pooling multihead"
    [ "${NGRAM_NOW:-}" = 1 ] || flags=$(ngram_before_mean_companion $flags)
    case " $flags " in *" --pooling "*) pooling="" ;; esac
    for seed in $seeds; do
      # shellcheck disable=SC2086
      full_size_run "$OUT/full-$name-$seed" $pooling $flags --seed $seed
      summarise "$name" "$seed" "$OUT/full-$name-$seed" >> "$results"
    done
  done
}
for minfreq in "" "--min-freq 2"; do
  solo=${SOLO_RESULTS:-benchmarks/results/heads-solo.tsv}; [ -n "$minfreq" ] && solo=${SOLO_DEMO_RESULTS:-benchmarks/results/heads-solo-demo.tsv}
  start_tsv "$solo"
  for recipe in "overlap0.03-hd0.5:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 0" \
      "overlap0.03-hd0.5-solo0.3:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 0.3" \
      "overlap0.03-hd0.5-solo1:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 1" \
      "overlap0.1-hd0.5-solo1:--head-overlap-penalty 0.1 --head-dropout 0.5 --head-solo-loss 1" \
      "overlap0.1-solo1:--head-overlap-penalty 0.1 --head-dropout 0 --head-solo-loss 1" \
      "overlap0.3-hd0.5-solo1:--head-overlap-penalty 0.3 --head-dropout 0.5 --head-solo-loss 1" \
      "overlap0.1-hd0.5-solo1-flat0.01:--head-overlap-penalty 0.1 --head-dropout 0.5 --head-solo-loss 1 --head-flatness-penalty 0.01" \
      "overlap0.1-hd0.5-solo1-flat0.03:--head-overlap-penalty 0.1 --head-dropout 0.5 --head-solo-loss 1 --head-flatness-penalty 0.03" \
      "overlap0.03-hd0.5-solo1-flat0.03:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 1 --head-flatness-penalty 0.03" \
      "overlap0.03-hd0.5-solo3-flat0.03:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 3 --head-flatness-penalty 0.03" \
      "overlap0.03-solo1-flat0.03:--head-overlap-penalty 0.03 --head-dropout 0 --head-solo-loss 1 --head-flatness-penalty 0.03" \
      "overlap0.01-hd0.3-solo1-flat0.01:--head-overlap-penalty 0.01 --head-dropout 0.3 --head-solo-loss 1 --head-flatness-penalty 0.01" \
      "overlap0.05-hd0.5-solo1-flat0.01:--head-overlap-penalty 0.05 --head-dropout 0.5 --head-solo-loss 1 --head-flatness-penalty 0.01" \
      "overlap0.03-hd0.5-solo1.5-flat0.03:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 1.5 --head-flatness-penalty 0.03" \
      "overlap0.05-hd0.5-solo1.5-flat0.03:--head-overlap-penalty 0.05 --head-dropout 0.5 --head-solo-loss 1.5 --head-flatness-penalty 0.03"; do
    for seed in 42 1 2; do
      name=${recipe%%:*}; flags=${recipe#*:}; d="$OUT/solo${minfreq:+-mf2}-$name-$seed"
      # shellcheck disable=SC2086
      demo_size_run "$d" --pooling multihead --heads 4 --seed $seed $minfreq $flags
      summarise "$name" "$seed" "$d" >> "$solo"
    done
  done
done
full_size_recipes "${SOLO_FULL_RESULTS:-benchmarks/results/heads-solo-full.tsv}" \
    "ngram-solo1:--preset ngram --head-solo-loss 1:1 2" "conv-solo1:--head-solo-loss 1:2 42 1" "ngram-solo0.3:--preset ngram --head-solo-loss 0.3:1 2" \
    "conv-single:--pooling attention:42 1 2" "ngram-solo1-overlap0.03:--preset ngram --head-solo-loss 1 --head-overlap-penalty 0.03:1 2 42 3" \
    "ngram-pairing0.1:--preset ngram --companion-head-pairing 0.1:1 2" "ngram-hd0.5:--preset ngram --head-dropout 0.5:1 2" \
    "ngram-hd0.5-flat0.01:--preset ngram --head-dropout 0.5 --head-flatness-penalty 0.01:2 1" \
    "ngram-solo1-companion0:--preset ngram --head-solo-loss 1 --companion-head-solo-loss 0:1 2 42 3" \
    "ngram-solo1-companion0.3:--preset ngram --head-solo-loss 1 --companion-head-solo-loss 0.3:3 2"

# Sliced heads (--sliced-heads: each head pools its own quarter of the token vectors). Demo-size runs with the demo's
# --min-freq 2, and one head for comparison (benchmarks/results/heads-sliced-demo.tsv); the demo's 4-head model trains
# the overlap0.03-hd0.6 recipe. Then the ngram preset on full poetry-dynasty, sliced, sliced with head dropout 0.5,
# with the demo's recipe, and with the solo-head loss 0.3 (heads-sliced-full.tsv).
sliced=${SLICED_DEMO_RESULTS:-benchmarks/results/heads-sliced-demo.tsv}
start_tsv "$sliced"
for recipe in "single:--pooling attention" \
    "sliced-overlap0.03-hd0.5:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 0" \
    "sliced-plain:--head-overlap-penalty 0 --head-dropout 0 --head-solo-loss 0" \
    "sliced-hd0.3:--head-overlap-penalty 0 --head-dropout 0.3 --head-solo-loss 0" \
    "sliced-overlap0.01-hd0.3-solo1:--head-overlap-penalty 0.01 --head-dropout 0.3 --head-solo-loss 1" \
    "sliced-overlap0.03-hd0.5-solo1:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 1" \
    "sliced-overlap0.03-hd0.5-flat0.01:--head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 0 --head-flatness-penalty 0.01" \
    "sliced-overlap0.03-hd0.3:--head-overlap-penalty 0.03 --head-dropout 0.3 --head-solo-loss 0" \
    "sliced-overlap0.01-hd0.5:--head-overlap-penalty 0.01 --head-dropout 0.5 --head-solo-loss 0" \
    "sliced-overlap0.02-hd0.5:--head-overlap-penalty 0.02 --head-dropout 0.5 --head-solo-loss 0" \
    "sliced-overlap0.05-hd0.5:--head-overlap-penalty 0.05 --head-dropout 0.5 --head-solo-loss 0" \
    "sliced-overlap0.03-hd0.6:--head-overlap-penalty 0.03 --head-dropout 0.6 --head-solo-loss 0" \
    "sliced-overlap0.03-hd0.5-keys:--separate-head-keys --head-overlap-penalty 0.03 --head-dropout 0.5 --head-solo-loss 0" \
    "sliced-overlap0.015-hd0.5:--head-overlap-penalty 0.015 --head-dropout 0.5 --head-solo-loss 0" \
    "sliced-overlap0.02-hd0.6:--head-overlap-penalty 0.02 --head-dropout 0.6 --head-solo-loss 0" \
    "sliced-overlap0.01-hd0.6:--head-overlap-penalty 0.01 --head-dropout 0.6 --head-solo-loss 0"; do
  name=${recipe%%:*}; flags=${recipe#*:}
  pooling="--pooling multihead --heads 4 --sliced-heads"; [ "$name" = single ] && pooling=""
  for seed in 42 1 2; do
    d="$OUT/sliced-mf2-$name-$seed"
    # shellcheck disable=SC2086
    demo_size_run "$d" $pooling --seed $seed --min-freq 2 $flags
    summarise "$name" "$seed" "$d" >> "$sliced"
  done
done
full_size_recipes "${SLICED_FULL_RESULTS:-benchmarks/results/heads-sliced-full.tsv}" \
    "ngram-sliced:--preset ngram --sliced-heads:1 2 42 3" "ngram-sliced-hd0.5:--preset ngram --sliced-heads --head-dropout 0.5:42 1 2 3" \
    "ngram-sliced-overlap0.03-hd0.6:--preset ngram --sliced-heads --head-overlap-penalty 0.03 --head-dropout 0.6:42" \
    "ngram-sliced-solo0.3:--preset ngram --sliced-heads --head-solo-loss 0.3:42"

# The conv companion with one attention head that joins each of the bigram network's heads (--companion-single-head),
# alone and with the solo-head loss on the bigram network; and the n-gram network twice with the solo-head loss
# (heads-companion-full.tsv).
full_size_recipes "${COMPANION_FULL_RESULTS:-benchmarks/results/heads-companion-full.tsv}" \
    "ngram-companion-single:--preset ngram --companion-single-head:1 2 42" \
    "ngram-companion-single-solo1:--preset ngram --companion-single-head --head-solo-loss 1:1 2 42 3" \
    "ngram-twin-solo1:--preset ngram --companion ngram --head-solo-loss 1:3"

# Each network of a two-network model alone: the erasure test per network (member-heads.txt).
members=${MEMBER_HEADS_RESULTS:-benchmarks/results/member-heads.txt}
echo "# MLNetAttention.Benchmarks member-heads --model artifacts/bench-heads/MODEL --dataset poetry-dynasty (first 1,000 test poems; erasure ratios top-k / random at k = 1 %, 3 %, 5 %, 10 %)" > "$members"
for model in full-ngram-sliced-42 full-ngram-sliced-1 full-ngram-solo1-companion0-2 full-ngram-solo1-companion0-3 full-ngram-companion-single-1 full-ngram-companion-single-solo1-3; do
  echo "## $model" >> "$members"
  "$bench" member-heads --model "$OUT/$model" --dataset poetry-dynasty 2>/dev/null >> "$members"
done

# The ngram preset's multi-head variant now: its conv companion mean-pools (--companion-pooling mean), so head h of the
# model ranks characters as the bigram network's head h, which trains with the solo-head loss and a light flatness
# penalty; before that, the companion mean-pooling alone and with the solo-head loss, and a stronger flatness penalty;
# after it, a max-pooling companion;
# one head with a mean-pooling companion, and the preset's one head, for comparison (heads-companion-full.tsv).
NGRAM_NOW=1 full_size_recipes "${COMPANION_FULL_RESULTS:-benchmarks/results/heads-companion-full.tsv}" \
    "ngram-companion-mean:--preset ngram --companion-pooling mean --head-solo-loss 0 --head-flatness-penalty 0:3" \
    "ngram-companion-mean-solo1:--preset ngram --companion-pooling mean --head-solo-loss 1 --head-flatness-penalty 0:3" \
    "ngram-companion-mean-solo1-flat0.03:--preset ngram --companion-pooling mean --head-solo-loss 1 --head-flatness-penalty 0.03:3" \
    "ngram-companion-mean-solo1-flat0.01:--preset ngram:3 1 2 42 5" \
    "ngram-companion-max-solo1-flat0.01:--preset ngram --companion-pooling max:3" \
    "ngram-companion-mean-1head:--preset ngram --companion-pooling mean --pooling attention:3 1 2 42" \
    "ngram-1head:--preset ngram --pooling attention:1 2 3 42"

# The same variant on the bundled sample (the preset's own training: all 2,700 poems, 5 epochs; 800 test poems),
# against the preset's one head (heads-companion-demo.tsv).
companion_demo=${COMPANION_DEMO_RESULTS:-benchmarks/results/heads-companion-demo.tsv}
start_tsv "$companion_demo"
for recipe in "ngram-multihead:--pooling multihead" "ngram-1head:--pooling attention"; do
  for seed in 42 1 2; do
    name=${recipe%%:*}; flags=${recipe#*:}; d="$OUT/demo-$name-$seed"
    # shellcheck disable=SC2086
    $CLI train --data $S --preset ngram $flags --threads 2 --seed $seed --out "$d" > "$d.train.log" 2>&1
    $CLI evaluate --model "$d" --data $S --json > "$d.evaluate.json"
    [ "$name" = ngram-1head ] || $CLI faithfulness --model "$d" --data $S --max-examples 800 --importance-examples 0 --explainers none --json > "$d.faithfulness.json"
    summarise "$name" "$seed" "$d" >> "$companion_demo"
  done
done

# imdb, the ngram preset on words with plain 4-head pooling (its default), through the CLI with the per-head erasure
# test on 300 test reviews (heads-imdb-full.tsv).
imdb_full=${IMDB_FULL_RESULTS:-benchmarks/results/heads-imdb-full.tsv}
start_tsv "$imdb_full"
for seed in 1 2 3; do
  d="$OUT/imdb-plain-$seed"
  $CLI train --data imdb --preset ngram --tokenizer mixed --pooling multihead --seed $seed --out "$d" > "$d.train.log" 2>&1
  $CLI evaluate --model "$d" --data imdb --json > "$d.evaluate.json"
  $CLI faithfulness --model "$d" --data imdb --max-examples 300 --importance-examples 0 --explainers none --json > "$d.faithfulness.json"
  summarise plain "$seed" "$d" >> "$imdb_full"
done
