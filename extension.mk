# ---------------------------------------------------------------------------------------------------
# VS Code extension. Included from the Makefile (`-include extension.mk`); owns only these
# targets. Node tooling: the system Node (20+) and npm; code-server runs on Node 24 from the npm
# registry, installed under .cache/e2e/ by scripts/codeserver.sh.
# ---------------------------------------------------------------------------------------------------
.PHONY: node_modules ext-build ext-check ext-test package e2e e2e-prepare e2e-prepared run-editor

EXT_SOURCES := $(shell find extension -name '*.ts' -o -name '*.mjs' 2>/dev/null) package.json tsconfig.json

# npm ci only when package.json or package-lock.json changed since the last install
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

node_modules: node_modules/.package-lock.json

dist/extension.js: node_modules/.package-lock.json $(EXT_SOURCES)
	npm run --silent build

ext-build: dist/extension.js

## tsc --noEmit + eslint (flat config, typescript-eslint)
ext-check: node_modules/.package-lock.json
	npm run --silent check

## unit tests of the extension's pure logic (node --test over esbuild-compiled tests)
ext-test: node_modules/.package-lock.json
	npm run --silent test:unit

cairn.vsix: dist/extension.js .vscodeignore $(STAMP)
	PY=$(PY) bash scripts/package.sh universal

cairn-linux-x64.vsix: dist/extension.js .vscodeignore $(STAMP)
	PY=$(PY) bash scripts/package.sh linux-x64

## the .vsix (universal: the Cairn wheel inside), the linux-x64 .vsix (every dependency inside, installs
## offline) and the Python wheel/sdist (`make dist`)
package: cairn.vsix cairn-linux-x64.vsix dist

## end to end in a real VS Code (code-server + headless Chromium); screenshots in tests/e2e/output/
e2e: $(STAMP) node_modules/.package-lock.json
	bash tests/e2e/run.sh

## the e2e in two steps, as `make test` runs them: build what the scenarios install, then run them
e2e-prepare: $(STAMP) node_modules/.package-lock.json
	bash tests/e2e/run.sh --prepare

e2e-prepared: $(STAMP) node_modules/.package-lock.json
	E2E_PREPARED=1 bash tests/e2e/run.sh

## the demo workspace in a real VS Code in the browser, with the extension installed (Ctrl-C to stop)
run-editor: $(STAMP) node_modules/.package-lock.json
	bash scripts/run-editor.sh
