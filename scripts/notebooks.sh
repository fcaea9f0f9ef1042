#!/usr/bin/env bash
# Runs every notebook headless and fails when any cell or app fails (scripts/test.sh calls it after the unit tests):
#   1. checks that the committed .ipynb files carry no outputs and no execution counts;
#   2. builds the libraries in Release and the notebook runtime (notebooks/runtime/bin: the library, its dependencies
#      and the patched TorchSharp native library side by side, which the .ipynb files #r);
#   3. runs each notebooks/*.ipynb with dotnet-repl (pinned in .config/dotnet-tools.json) from notebooks/, writing
#      the executed copy to artifacts/notebooks/ (the committed file is never touched);
#   4. runs each notebooks/*.cs file-based app with `dotnet run -c Release`.
# Ends with one summary line, "notebooks: N passed, N failed". MLNA_SKIP_NOTEBOOKS=1 skips it all;
# MLNA_NOTEBOOKS=GLOB runs only the notebooks and apps whose name matches (e.g. MLNA_NOTEBOOKS=03-*).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${MLNA_SKIP_NOTEBOOKS:-}" = "1" ]; then
  echo "notebooks: skipped (MLNA_SKIP_NOTEBOOKS=1)"
  exit 0
fi

limit=${MLNA_NOTEBOOK_TIMEOUT:-600}   # seconds per notebook or app
only=${MLNA_NOTEBOOKS:-*}
artifacts=artifacts/notebooks
mkdir -p "$artifacts"
passed=0
failed=0
failures=()

fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAILED $1${2:+: $2}" >&2; }

# 1. No stale outputs in the committed notebooks ("Clear All Outputs" in the editor before committing).
for nb in $(git ls-files 'notebooks/*.ipynb'); do
  if grep -q '"output_type"' "$nb" || grep -Eq '"execution_count": *[0-9]' "$nb"; then
    fail "$nb" "committed with outputs or execution counts; clear all outputs before committing"
  fi
done

# 2. Build. Without the runtime nothing below can run, so a failed build ends here.
if ! dotnet build src/MLNetAttention.TorchSharp/MLNetAttention.TorchSharp.csproj -c Release -nologo -clp:ErrorsOnly \
   || ! dotnet build notebooks/runtime/NotebookRuntime.csproj -c Release -nologo -clp:ErrorsOnly; then
  echo "notebooks: 0 passed, 1 failed (the build failed)"
  exit 1
fi
if ! dotnet tool restore >/dev/null; then
  echo "notebooks: 0 passed, 1 failed (dotnet tool restore failed: dotnet-repl is pinned in .config/dotnet-tools.json)"
  exit 1
fi

# 3. Notebooks: dotnet-repl exits non-zero when a cell fails (it still runs the later cells); the executed copy is
#    also searched for error outputs, so a failure cannot pass silently.
for nb in notebooks/*.ipynb; do
  name=$(basename "$nb" .ipynb)
  [[ "$name" == $only ]] || continue
  start=$SECONDS
  echo "== $nb"
  if (cd notebooks && timeout "$limit" dotnet repl --run "$name.ipynb" --exit-after-run \
        --output-path "../$artifacts/$name.ipynb") >"$artifacts/$name.ipynb.log" 2>&1 \
     && [ -s "$artifacts/$name.ipynb" ] && ! grep -q '"output_type": *"error"' "$artifacts/$name.ipynb"; then
    passed=$((passed + 1))
    echo "   ok ($((SECONDS - start)) s)"
  else
    tail -n 20 "$artifacts/$name.ipynb.log" >&2
    grep -o '"evalue": *"[^"]*"' "$artifacts/$name.ipynb" 2>/dev/null | head -n 5 >&2
    fail "$nb" "see $artifacts/$name.ipynb and $name.ipynb.log"
  fi
done

# 4. File-based apps (the supported form). Release, so they reuse the library build above.
for app in notebooks/*.cs; do
  name=$(basename "$app" .cs)
  [[ "$name" == $only ]] || continue
  start=$SECONDS
  echo "== $app"
  if timeout "$limit" dotnet run -c Release --file "$app" >"$artifacts/$name.cs.log" 2>&1; then
    passed=$((passed + 1))
    echo "   ok ($((SECONDS - start)) s)"
  else
    tail -n 20 "$artifacts/$name.cs.log" >&2
    fail "$app" "see $artifacts/$name.cs.log"
  fi
  # dotnet keeps each file-based app's build (about 1 GB with libtorch) under ~/.local/share/dotnet/runfile, one per
  # checkout path, so repeated runs from fresh clones filled the disk: clean it, keeping only a few MB.
  dotnet clean -c Release "$app" >/dev/null 2>&1 || true
done

if [ "$failed" -gt 0 ]; then
  echo "notebooks: $passed passed, $failed failed (${failures[*]})"
  exit 1
fi
echo "notebooks: $passed passed, 0 failed"
