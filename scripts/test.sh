#!/usr/bin/env bash
# The README's test command: set up, build (warnings are errors) and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build MLNetAttention.sln -c Release -nologo -clp:ErrorsOnly
log=$(mktemp)
status=0
dotnet test MLNetAttention.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log" || status=$?
bash scripts/notebooks.sh || status=$?   # every notebook and file-based app (MLNA_SKIP_NOTEBOOKS=1 skips)
bash scripts/test-packages.sh || status=$?   # pack, then install and use the packages outside the repository (MLNA_SKIP_PACKAGES=1 skips)
# One plain summary line over all test assemblies ("N passed, N failed").
awk '/(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $status
