#!/usr/bin/env bash
# Long fuzzing runs of the properties CI runs briefly (tests/MLNetAttention.Tests/Reliability/FuzzTests.cs):
#   bash scripts/fuzz.sh [N]     N text and data-file cases per property (default 1,000,000); the classifier gets N/10
#                                texts and the model-file property N/100 damaged model directories.
# Same seed as CI, so a failure reproduces; results go to docs/reliability.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations="${1:-1000000}"
dotnet build tests/MLNetAttention.Tests -c Release -nologo -clp:ErrorsOnly >/dev/null
start=$(date +%s)
MLNA_FUZZ_ITERATIONS="$iterations" dotnet test tests/MLNetAttention.Tests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Reliability.FuzzTests" --logger "console;verbosity=detailed" | grep -E "Passed |Failed |damaged model|Error Message" || true
echo "fuzz: $iterations cases per property in $(( $(date +%s) - start )) s"
