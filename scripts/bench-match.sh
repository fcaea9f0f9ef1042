#!/usr/bin/env bash
# Couplet matching: test accuracy and F1 of the matchers over seeds, the learning curve of the best one, and speed.
#
#   scripts/bench-match.sh full     cross, siamese and interactive on couplet-match-full, seeds 1-3 (about an hour)
#   scripts/bench-match.sh curve    the cross matcher on the first 40,000 / 160,000 training pairs (20k / 80k poems)
#   scripts/bench-match.sh speed    training pairs/s (data pipeline included) and ONNX Runtime scoring pairs/s
#   scripts/bench-match.sh sample   every matcher on the bundled sample (200,000 pairs from 100,000 couplets)
#
# Settings: EPOCHS (default 3), JOBS (parallel runs, default 2: each uses one libtorch thread), MATCHERS, SEEDS.
# Runs append one JSON line each to benchmarks/results/match.jsonl; every run is seeded, so the same settings and
# thread count give the same figures. The recipe for every matcher: 3 epochs, Adam 1e-3 decaying linearly, batch
# 32, fresh negatives every epoch (--resample-negatives), 2 % of the training pairs held out for validation.
#
# Measured (test split, 10,000 pairs; docs/benchmarks.md "Couplet matching" has the table):
#   cross-attention        0.8675 ± 0.0027 over seeds 1-3 (0.8240 without the composition convolution)
#   siamese                0.8335 ± 0.0018 over seeds 1-3;  interactive 0.8394 ± 0.0160 over seeds 1-3
#   curve (cross, seed 1)  40,000 pairs 0.621 · 160,000 pairs 0.809 · 572,364 pairs 0.869
#   speed                  training 2,029 pairs/s (2 threads, batch 32); ONNX Runtime 3,114 / 10,969 pairs/s at batch 1 / 32
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-full}"
epochs="${EPOCHS:-3}"
jobs="${JOBS:-2}"
results="$PWD/benchmarks/results/match.jsonl"
dotnet build benchmarks/MLNetAttention.Benchmarks -c Release -nologo -clp:ErrorsOnly >/dev/null
# Run from a copy, so rebuilding the repository while the runs go on cannot change the binary halfway.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cp -r benchmarks/MLNetAttention.Benchmarks/bin/Release/net10.0/. "$bin"
bench=(dotnet "$bin/MLNetAttention.Benchmarks.dll")

run_queue() { # each argument is one run's extra flags; JOBS of them at a time
  printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh -c "${bench[*]} match --epochs $epochs --threads 1 --resample-negatives --linear-decay --results $results {} | grep -v '^#'"
}

case "$mode" in
  full)
    queue=()
    for matcher in ${MATCHERS:-cross siamese interactive}; do
      for seed in ${SEEDS:-1 2 3}; do queue+=("--dataset couplet-match-full --matchers $matcher --seeds $seed"); done
    done
    run_queue "${queue[@]}"
    ;;
  curve)
    run_queue "--dataset couplet-match-full --matchers cross --seeds 1 --train-pairs 40000" \
              "--dataset couplet-match-full --matchers cross --seeds 1 --train-pairs 160000"
    ;;
  speed)
    "${bench[@]}" match-speed --dataset sample:couplet-match --matcher cross --train-pairs 100000 --threads 2
    ;;
  sample)
    queue=()
    for matcher in ${MATCHERS:-cross siamese interactive triplet}; do queue+=("--dataset sample:couplet-match --matchers $matcher --seeds 1"); done
    run_queue "${queue[@]}"
    ;;
  *) echo "usage: scripts/bench-match.sh full|curve|speed|sample" >&2; exit 1 ;;
esac
rm -rf "$bin"
# Mean ± sd over seeds of every configuration in the results file.
python3 - "$results" <<'PY'
import json, statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    runs[(r["dataset"], r["matcher"], r["trainPairs"], r["epochs"], r.get("resampleNegatives"), r.get("compositionKernel") or 0)].append(r)
for (dataset, matcher, pairs, epochs, resample, composition), rs in sorted(runs.items()):
    acc = [r["accuracy"] for r in rs]
    sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
    variant = f"{matcher}, composition {composition}" if matcher == "cross" else matcher
    print(f"{dataset:20} {variant:26} {pairs:7} pairs {epochs} epochs resample={resample}: accuracy {statistics.mean(acc):.4f} ± {sd:.4f} "
          f"(seeds {', '.join(str(r['seed']) for r in rs)}), F1(match) {statistics.mean(f) if (f := [r['f1Match'] for r in rs if r['f1Match'] is not None]) else float('nan'):.4f}")
PY
echo "results appended to $results" >&2
