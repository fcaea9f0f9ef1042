#!/usr/bin/env bash
# The README's test command: set up, build (warnings are errors) and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build MLNetAttention.sln -c Release -nologo -clp:ErrorsOnly
dotnet test MLNetAttention.sln -c Release --no-build -nologo "$@"
