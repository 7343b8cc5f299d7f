#!/usr/bin/env bash
# End-to-end test of the Cairn VS Code extension in a real VS Code (code-server from npm) driven by
# headless Debian Chromium (playwright-core), on the demo workspace built by `python -m cairn.demo`.
# Installs what is missing (apt: chromium; npm: node@24, code-server, the repo's devDependencies), builds
# and installs cairn.vsix plus the test-only fake language model, starts code-server on 127.0.0.1 (free
# port, own process group, killed on exit), runs tests/e2e/driver.mjs. Screenshots: tests/e2e/output/.
#
#   bash tests/e2e/run.sh                 # or: make e2e
#   E2E_ONLY=hover,chat bash tests/e2e/run.sh
#   bash tests/e2e/run.sh --prepare && E2E_PREPARED=1 bash tests/e2e/run.sh   # what `make test` does
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/codeserver.sh
source "$REPO/scripts/codeserver.sh"

OUT=$REPO/tests/e2e/output
T0=$SECONDS
rm -rf "$OUT"
mkdir -p "$OUT"

FAKE_VSIX=$CAIRN_CACHE/fake-lm.vsix
wants_bundled() { [ -z "${E2E_ONLY:-}" ] || [[ ",${E2E_ONLY}," == *",bundled,"* ]]; }

# The packages the scenarios install, built before any of them runs. `--prepare` stops after this step
# and E2E_PREPARED=1 skips it: `make test` prepares first and then runs the rest beside pytest, so
# nothing in the source tree (dist/, bundled/, build/) is rewritten while pytest reads it.
if [ -z "${E2E_PREPARED:-}" ]; then
  cs_ensure_node_modules
  cs_build_vsix
  cs_log "package the test-only fake language model"
  mkdir -p "$CAIRN_CACHE"
  (cd "$REPO/tests/e2e/fake-lm" &&
    "$REPO/node_modules/.bin/vsce" package --no-dependencies --skip-license -o "$FAKE_VSIX" >/dev/null)
  if wants_bundled; then cs_build_platform_vsix; fi
  if [ "${1:-}" = "--prepare" ]; then
    cs_log "e2e prepared in $((SECONDS - T0))s"
    exit 0
  fi
else
  for f in "$CAIRN_VSIX" "$FAKE_VSIX" $(wants_bundled && echo "$CAIRN_PLATFORM_VSIX"); do
    [ -f "$f" ] || cs_die "E2E_PREPARED is set but $f is missing: run \`bash tests/e2e/run.sh --prepare\` first"
  done
fi
# Installed after the packages are built: neither writes into the source tree, so under `make test` the
# slow part (code-server's native modules) runs beside pytest. Both are quick when already there.
cs_ensure_apt
cs_ensure_codeserver

WS=$CAIRN_CACHE/demo-workspace
cs_prepare_demo "$WS"
STALE_SHA=$(git -C "$WS" rev-parse HEAD)   # the demo's last commit rewrites the lines the gotcha is anchored to

PROFILE=$CAIRN_CACHE/profile
rm -rf "$PROFILE"                           # fresh: chat history and editor state persist in the profile
cs_prepare_profile "$PROFILE"
cs_install_extension "$CAIRN_VSIX"
cs_install_extension "$FAKE_VSIX"

PORT=$(cs_free_port)
trap cs_stop EXIT
cs_start "$WS" "$PORT" "$OUT/code-server.log"
cs_wait_healthy 120
cs_log "code-server ready at http://127.0.0.1:$PORT/ after $((SECONDS - T0))s of setup"

RC=0
CS_URL="http://127.0.0.1:$PORT/?folder=$WS" E2E_OUT="$OUT" STALE_SHA="$STALE_SHA" \
  node "$REPO/tests/e2e/driver.mjs" || RC=$?

# the extension host's log (the Cairn output channel) for whoever reads a failure
find "$PROFILE/data/logs" -name '*Cairn*.log' -exec cp {} "$OUT/" \; 2>/dev/null || true
cs_stop

if [ -z "${E2E_ONLY:-}" ] || [[ ",${E2E_ONLY}," == *",no-server-notification,"* ]]; then
  cs_log "scenario: no Cairn server anywhere (no setting, no .venv, none on PATH)"
  cs_prepare_profile "$CAIRN_CACHE/profile-no-server" no-server
  cs_install_extension "$CAIRN_VSIX"
  NS_WS=$CAIRN_CACHE/no-server-workspace
  rm -rf "$NS_WS" && cp -r "$WS" "$NS_WS"
  SAVED_PATH=$PATH
  PATH=$(printf '%s' "$PATH" | tr ':' '\n' | while read -r d; do [ -n "$d" ] && [ ! -x "$d/cairn" ] && printf '%s:' "$d"; done)
  PATH=${PATH%:}
  PORT=$(cs_free_port)
  cs_start "$NS_WS" "$PORT" "$OUT/code-server-no-server.log"
  PATH=$SAVED_PATH
  cs_wait_healthy 120
  CS_URL="http://127.0.0.1:$PORT/?folder=$NS_WS" E2E_OUT="$OUT/no-server" E2E_SCENARIO=no-server \
    node "$REPO/tests/e2e/driver.mjs" || RC=$?
  cs_stop
fi
if wants_bundled; then
  cs_log "scenario: the platform .vsix brings its own server (no cairn anywhere, no package index)"
  cs_prepare_profile "$CAIRN_CACHE/profile-bundled" bundled
  cs_install_extension "$CAIRN_PLATFORM_VSIX"
  B_WS=$CAIRN_CACHE/bundled-workspace
  rm -rf "$B_WS" && cp -r "$WS" "$B_WS" && rm -rf "$B_WS/.venv"
  SAVED_PATH=$PATH
  PATH=$(printf '%s' "$PATH" | tr ':' '\n' | while read -r d; do [ -n "$d" ] && [ ! -x "$d/cairn" ] && printf '%s:' "$d"; done)
  PATH=${PATH%:}
  PORT=$(cs_free_port)
  # No package index: pip may read nothing but the wheels inside the .vsix.
  PIP_CONFIG_FILE=/dev/null PIP_INDEX_URL=http://127.0.0.1:9/simple PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL= \
    cs_start "$B_WS" "$PORT" "$OUT/code-server-bundled.log"
  PATH=$SAVED_PATH
  cs_wait_healthy 120
  CS_URL="http://127.0.0.1:$PORT/?folder=$B_WS" E2E_OUT="$OUT/bundled" E2E_SCENARIO=bundled STALE_SHA="$STALE_SHA" \
    E2E_ONLY=bundled-server,status-bar,hover,problems node "$REPO/tests/e2e/driver.mjs" || RC=$?
  cs_stop
  # The server runs from the extension's storage, installed completely (no half-built folder left).
  B_ENV=$(find "$CAIRN_CACHE/profile-bundled/data" -path '*cairn-context.cairn*/server/*/bin/python' 2>/dev/null | head -1)
  if [ -z "$B_ENV" ] || find "$CAIRN_CACHE/profile-bundled/data" -name '.building-*' | grep -q .; then
    cs_log "FAIL: no complete bundled server environment under the profile's global storage"; RC=1
  else
    cs_log "bundled server: $("$B_ENV" -m cairn --version) at ${B_ENV%/bin/python}"
  fi
fi
cs_log "e2e finished in $((SECONDS - T0))s; screenshots and logs in $OUT"
# one closing line over both scenarios
node -e '
  const fs = require("fs");
  let pass = 0, fail = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) continue;
    for (const r of JSON.parse(fs.readFileSync(f, "utf8")).results) r.ok ? pass++ : fail++;
  }
  console.log(`e2e: ${pass} passed, ${fail} failed`);
' "$OUT/results.json" "$OUT/no-server/results.json" "$OUT/bundled/results.json"
exit $RC
