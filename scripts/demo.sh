#!/usr/bin/env bash
# The README's main command: set up, build, and run `mlnet-attention demo` on the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build src/MLNetAttention.Cli -c Release -nologo -clp:ErrorsOnly
dotnet src/MLNetAttention.Cli/bin/Release/net10.0/mlnet-attention.dll demo "$@"
