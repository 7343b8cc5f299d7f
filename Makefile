# Cairn — every target creates what it needs (.venv, node_modules, builds, Debian packages).
# The two commands a newcomer needs:  make run   (the demo, end to end)   make test   (everything)

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
CAIRN := $(VENV)/bin/cairn
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= $(CURDIR)/.cache/demo-workspace

.PHONY: run run-cli test check py-check pytest bench venv demo clean dist neovim

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

## make run: the main job: builds the sidecar and the .vsix, prepares the demo workspace, prints the
## terminal demo, then opens the workspace in a real VS Code in the browser (code-server on 127.0.0.1,
## the URL is printed; Ctrl-C stops it). `make run-cli` is the terminal demo alone.
run: run-cli run-editor

## The terminal demo: build a small repository whose notes have a history, then check and recall.
run-cli: $(STAMP)
	$(PY) -m cairn.demo --show $(DEMO_DIR)

demo: $(STAMP)
	$(PY) -m cairn.demo $(DEMO_DIR)

## make test: static checks, the Python suite, the extension's unit tests, and the end-to-end tests in
## a real VS Code (code-server + headless Chromium). Everything the e2e installs is built first; then
## pytest and the e2e scenarios run side by side (each mostly waits on its own child processes, so two
## jobs fill the two cores), each job's output printed whole when it ends.
test: check ext-test neovim e2e-prepare
	@$(MAKE) --no-print-directory -j2 --output-sync=target pytest e2e-prepared

check: py-check ext-check

py-check: $(STAMP)
	$(VENV)/bin/ruff check sidecar tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/test_import_contract.py

pytest: $(STAMP) neovim
	$(VENV)/bin/pytest -q -p no:cacheprovider

## headless Neovim for the language-server end to end in a non-VS Code editor (tests/lsp/test_neovim.py)
neovim:
	@bash scripts/ensure-neovim.sh

## make dist: the wheel and sdist users install (pipx / uv tool / pip), checked as PyPI would
DIST := build/dist
dist: $(STAMP)
	rm -rf $(DIST)
	$(PY) -m build --outdir $(DIST) .
	$(PY) -m twine check --strict $(DIST)/*

bench: $(STAMP)
	@for script in bench/*/run.py bench/recall/quality.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .cache dist node_modules *.vsix

-include extension.mk
