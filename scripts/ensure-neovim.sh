#!/usr/bin/env bash
# Installs Debian's `neovim` (headless Neovim for tests/lsp/test_neovim.py) when `nvim` is missing.
# Called by `make pytest` (so `make test` has it); reaches only Debian apt. apt waits for a dpkg lock
# held by another process (DPkg::Lock::Timeout) instead of failing.
set -euo pipefail
if command -v nvim >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-neovim: nvim is missing and this is not root: apt-get install neovim" >&2
  exit 1
fi
echo "ensure-neovim: apt-get install neovim" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends neovim >/dev/null
command -v nvim >/dev/null
