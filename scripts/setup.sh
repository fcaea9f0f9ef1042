#!/usr/bin/env bash
# Installs what a fresh Debian 12 (or Ubuntu 22.04+) machine needs besides the .NET 10 SDK:
# patchelf and g++ for the TorchSharp native fix (see docs/design.md), Node.js/npm to fetch corpora,
# CJK fonts and Chromium for the visual reports. Idempotent: skips what is already there.
set -euo pipefail
need=()
command -v patchelf >/dev/null || need+=(patchelf)
command -v g++ >/dev/null || need+=(g++)
command -v npm >/dev/null || need+=(npm)
command -v fc-list >/dev/null || need+=(fontconfig)
{ command -v fc-list >/dev/null && fc-list | grep -i "Noto Sans CJK" >/dev/null; } || need+=(fonts-noto-cjk)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (https://dot.net)" >&2; exit 1; }
