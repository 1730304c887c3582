#!/usr/bin/env bash
# Build the real Plik server (plikd) into <repo>/.tools/bin/plikd for the interop tests
# (test/helpers/plik.ts). Idempotent: a stamp file names the built version, and a second run
# with the same version does nothing.
#
#   bash scripts/provision-plik.sh                  # PLIK_VERSION defaults to v1.3.8
#   PLIK_VERSION=v1.3.7 bash scripts/provision-plik.sh
#   PLIKD_BIN=/path/to/plikd bash scripts/provision-plik.sh   # use a plikd built elsewhere
#
# Plik's server is the Go package github.com/root-gg/plik/server (package main, binary
# "server", renamed here to plikd). It needs cgo for its sqlite metadata backend (gcc).
# Exit codes: 0 ready, 1 missing tool, 3 the module could not be downloaded or built.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
TARGET="$BIN_DIR/plikd"
STAMP="$BIN_DIR/.plikd.version"
VERSION="${PLIK_VERSION:-v1.3.8}"
MODULE="github.com/root-gg/plik"
PACKAGE="$MODULE/server"

mkdir -p "$BIN_DIR"

if [[ -n "${PLIKD_BIN:-}" ]]; then
  if [[ ! -x "$PLIKD_BIN" ]]; then
    echo "provision-plik: PLIKD_BIN=$PLIKD_BIN is not an executable file" >&2
    exit 1
  fi
  ln -sf "$(cd "$(dirname "$PLIKD_BIN")" && pwd)/$(basename "$PLIKD_BIN")" "$TARGET"
  echo "external $PLIKD_BIN" > "$STAMP"
  echo "provision-plik: using $PLIKD_BIN"
  exit 0
fi

if [[ -x "$TARGET" && -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
  echo "provision-plik: $TARGET ($VERSION) is up to date"
  exit 0
fi

for tool in go gcc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "provision-plik: '$tool' not found; plikd is built with the Go toolchain and cgo (gcc)" >&2
    exit 1
  fi
done

start=$SECONDS
echo "provision-plik: go install $PACKAGE@$VERSION (cgo, into $BIN_DIR)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$work/go-install.log"
if ! (cd "$work" && GOBIN="$work/bin" CGO_ENABLED=1 \
      go install "$PACKAGE@$VERSION") >"$log" 2>&1; then
  echo "provision-plik: FAILED to build plikd from $PACKAGE@$VERSION:" >&2
  sed 's/^/  | /' "$log" | tail -20 >&2
  if grep -q "403\|not available\|Forbidden" "$log"; then
    cat >&2 <<MSG
provision-plik: the Go module proxy refuses $MODULE (and its root-gg dependencies) here, so the
real Plik server cannot be built on this machine. Either point GOPROXY at a proxy that serves it,
or build plikd elsewhere and run:  PLIKD_BIN=/path/to/plikd bash scripts/provision-plik.sh
MSG
    # 3 = "not obtainable here" (CI reports the suite as not run); any other failure is a real error.
    exit 3
  fi
  exit 1
fi
mv "$work/bin/server" "$TARGET"
echo "$VERSION" > "$STAMP"
echo "provision-plik: built $TARGET ($VERSION) in $((SECONDS - start))s"
