#!/usr/bin/env bash
# Everything the full test suite needs beyond npm packages, installed when missing:
# nats-server (apt, else go install; plus the pinned current release built into .tools/bin for the
# JetStream and cluster tests), Debian's Chromium for the browser tests, and the Python
# virtualenv for the interop peer. Fast and silent-ish when everything is already there, so it runs
# before every `npm test`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

node "$ROOT/scripts/ensure-tools.mjs" --current

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "provision-test: installing Debian's chromium for the browser tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-cache policy chromium | grep -q 'Candidate: [0-9]' || apt-get update -qq
    apt-get install -y -qq chromium fonts-liberation >/dev/null
  fi
  [[ -x "$CHROMIUM" ]] || { echo "provision-test: $CHROMIUM missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH" >&2; exit 1; }
fi

# Debian's clang and lld rebuild the WebAssembly base64 module from base64.c, so the suite can check
# that the committed module is what the C source compiles to (test/core/base64-wasm.test.ts).
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "provision-test: installing Debian's clang and lld for the wasm rebuild check" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-cache policy lld | grep -q 'Candidate: [0-9]' || apt-get update -qq
    apt-get install -y -qq clang lld >/dev/null
  fi
  command -v wasm-ld >/dev/null || { echo "provision-test: clang/lld missing (apt-get install clang lld)" >&2; exit 1; }
fi

bash "$ROOT/scripts/provision-python.sh" >/dev/null
