#!/usr/bin/env bash
# Build the extension packages, each carrying the Cairn server as a wheel under bundled/:
#   bash scripts/package.sh universal   -> cairn.vsix            (the wheel; dependencies from the user's index)
#   bash scripts/package.sh linux-x64   -> cairn-linux-x64.vsix  (the wheel + every dependency for CPython
#                                                                   3.11-3.13 on x86-64 Linux: installs offline)
# The wheel comes from build/dist (make dist builds it when missing or older than the sources). The
# wheelhouse is downloaded from the package index once and kept in .cache/wheelhouse/<hash of pyproject>.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
TARGET=${1:-universal}
PY=${PY:-$REPO/.venv/bin/python}
log() { printf '=== [%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

newest_source=$(find sidecar/cairn pyproject.toml -type f -newer build/dist/.built 2>/dev/null | head -1 || true)
if [ ! -f build/dist/.built ] || [ -n "$newest_source" ]; then
  log "build the Cairn wheel"
  rm -rf build/dist
  "$PY" -m build --wheel --outdir build/dist . >/dev/null
  touch build/dist/.built
fi
WHEEL=$(ls build/dist/cairn_context-*-py3-none-any.whl)

rm -rf bundled
mkdir -p bundled
cp "$WHEEL" bundled/

case "$TARGET" in
  universal)
    npx vsce package --no-dependencies -o cairn.vsix >/dev/null
    log "cairn.vsix ($(du -h cairn.vsix | cut -f1))"
    ;;
  linux-x64)
    key=$(sha256sum pyproject.toml | cut -c1-16)
    house=.cache/wheelhouse/$key
    if [ ! -f "$house/.complete" ]; then
      log "download the wheelhouse for CPython 3.11-3.13, manylinux x86-64"
      rm -rf "$house" && mkdir -p "$house"
      for v in 3.11 3.12 3.13; do
        "$PY" -m pip download --quiet --disable-pip-version-check --only-binary=:all: --implementation cp \
          --python-version "$v" --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
          --platform manylinux2014_x86_64 --platform linux_x86_64 -d "$house" "$WHEEL" \
          2> >(grep -v "^WARNING: Location" >&2)
      done
      rm -f "$house"/cairn_context-*.whl
      touch "$house/.complete"
    fi
    mkdir -p bundled/wheelhouse
    cp "$house"/*.whl bundled/wheelhouse/
    npx vsce package --no-dependencies --target linux-x64 -o cairn-linux-x64.vsix >/dev/null
    log "cairn-linux-x64.vsix ($(du -h cairn-linux-x64.vsix | cut -f1), $(ls bundled/wheelhouse | wc -l) wheels)"
    ;;
  *) echo "usage: scripts/package.sh universal|linux-x64" >&2; exit 2 ;;
esac
