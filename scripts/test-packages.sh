#!/usr/bin/env bash
# Packs the three packages and uses them as a user would, in fresh folders outside the repository whose
# nuget.config points at the packed folder (then nuget.org):
#   1. an app referencing MLNetAttention.TorchSharp trains 50 steps on a bundled sample (so the Debian 12 fix that
#      package carries in buildTransitive has to work outside the repository), saves the model and exports ONNX;
#   2. an app referencing only MLNetAttention + Microsoft.ML.OnnxRuntime scores that model.onnx through
#      mlContext.Transforms.AttentionPool and evaluates it; its accuracy must equal TorchSharp's, and its deps.json
#      must name neither TorchSharp nor libtorch;
#   3. `dotnet tool install --tool-path` installs the mlnet-attention tool from the folder and runs predict.
# Prints the package sizes and the published size of the scoring app against the same app built on the training
# package (everything that one package carried before the split). scripts/test.sh runs it; MLNA_SKIP_PACKAGES=1 skips.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
if [ "${MLNA_SKIP_PACKAGES:-}" = "1" ]; then echo "packages: skipped (MLNA_SKIP_PACKAGES=1)"; exit 0; fi

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
ort=$(sed -n 's:.*"Microsoft.ML.OnnxRuntime" Version="\([^"]*\)".*:\1:p' Directory.Packages.props)
packages=$repo/artifacts/packages
work=$(mktemp -d "${TMPDIR:-/tmp}/mlnet-attention-packages.XXXXXX")
trap '[ -n "${MLNA_KEEP_PACKAGE_TEST:-}" ] || rm -rf "$work"' EXIT
fail() { echo "packages: FAILED: $*" >&2; exit 1; }

rm -rf "$packages" && mkdir -p "$packages"
for project in src/MLNetAttention src/MLNetAttention.TorchSharp src/MLNetAttention.Cli; do
  dotnet pack "$project" -c Release -nologo -clp:ErrorsOnly -o "$packages" >/dev/null
done
# A restore must see the packages just packed, not ones cached from an earlier run of the same version.
for id in mlnetattention mlnetattention.torchsharp mlnetattention.cli; do
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/$id/$version"
done

cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML

new_app() { # folder, then "Package Version" pairs
  local dir=$work/$1; shift
  mkdir -p "$dir"
  { echo '<Project Sdk="Microsoft.NET.Sdk">'
    echo '  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>'
    echo '  <ItemGroup>'
    while [ $# -gt 0 ]; do echo "    <PackageReference Include=\"$1\" Version=\"$2\" />"; shift 2; done
    echo '  </ItemGroup>'
    echo '</Project>'; } > "$dir/$(basename "$dir").csproj"
}

# 1. Training with MLNetAttention.TorchSharp.
new_app training MLNetAttention.TorchSharp "$version" Microsoft.ML.OnnxRuntime "$ort"
cp scripts/package-test/training/Program.cs "$work/training/"
training_output=$(cd "$work/training" && dotnet run -c Release -- "$work/out") || fail "the training app"
echo "$training_output"
grep -q "^training app: 50 steps" <<<"$training_output" || fail "the training app did not train 50 steps"
torch_accuracy=$(cat "$work/out/accuracy.txt")

# 2. Scoring with MLNetAttention alone.
new_app scoring MLNetAttention "$version" Microsoft.ML.OnnxRuntime "$ort"
cp scripts/package-test/scoring/Program.cs "$work/scoring/"
scoring_output=$(cd "$work/scoring" && dotnet run -c Release -- "$work/out/model.onnx") || fail "the scoring app"
echo "$scoring_output"
ml_accuracy=$(echo "$scoring_output" | sed -n 's/^accuracy //p')
python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if abs(a - b) <= 0.0025 else 1)" "$torch_accuracy" "$ml_accuracy" \
  || fail "ML.NET accuracy $ml_accuracy differs from TorchSharp's $torch_accuracy"
deps=$(find "$work/scoring/bin/Release" -name scoring.deps.json)
if grep -qi "torchsharp\|libtorch" "$deps"; then fail "the scoring app's deps.json names TorchSharp or libtorch"; fi
echo "scoring app: ML.NET accuracy $ml_accuracy = TorchSharp $torch_accuracy; deps.json names no TorchSharp or libtorch"

# Published size of the scoring app, and of the same app on the training package (what the single package used to bring).
(cd "$work/scoring" && dotnet publish -c Release -r linux-x64 --self-contained false -nologo -o "$work/publish-scoring" >/dev/null) || fail "publishing the scoring app"
new_app scoring-before MLNetAttention.TorchSharp "$version" Microsoft.ML.OnnxRuntime "$ort"
cp scripts/package-test/scoring/Program.cs "$work/scoring-before/"
(cd "$work/scoring-before" && dotnet publish -c Release -r linux-x64 --self-contained false -nologo -o "$work/publish-before" >/dev/null) || fail "publishing the comparison app"

# 3. The tool.
dotnet tool install MLNetAttention.Cli --version "$version" --tool-path "$work/tool" --configfile "$work/nuget.config" >/dev/null || fail "installing the tool"
prediction=$("$work/tool/mlnet-attention" predict --model "$work/out/model" --json "床前明月光，疑是地上霜。") || fail "mlnet-attention predict"
echo "$prediction" | python3 -c "import json, sys; p = json.loads(sys.stdin.readline()); assert p['label'] in ('song', 'tang') and abs(sum(t['weight'] for t in p['tokens']) - 1) < 1e-4, p" \
  || fail "mlnet-attention predict printed no prediction with weights: $prediction"
echo "tool: mlnet-attention predict -> $(echo "$prediction" | python3 -c "import json, sys; p = json.loads(sys.stdin.readline()); print(p['label'], round(p['probability'], 3))")"

echo "package sizes:"
for f in "$packages"/*.nupkg; do printf '  %-40s %8.1f MB\n' "$(basename "$f")" "$(echo "$(stat -c %s "$f") / 1048576" | bc -l)"; done
printf '  published scoring app: %s with MLNetAttention, %s with MLNetAttention.TorchSharp\n' \
  "$(du -sh "$work/publish-scoring" | cut -f1)" "$(du -sh "$work/publish-before" | cut -f1)"
echo "packages: 3 passed, 0 failed"
