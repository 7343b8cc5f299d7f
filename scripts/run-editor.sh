#!/usr/bin/env bash
# `make run-editor` (and `make run` once the lead points it here): the demo workspace opened in a real
# VS Code in the browser, with the Cairn extension installed. Builds the .vsix, prepares the demo with
# `python -m cairn.demo`, starts code-server on 127.0.0.1, prints the URL and stays in the foreground
# until Ctrl-C (which stops code-server and everything it started).
#
#   PORT=8080 bash scripts/run-editor.sh      # default: a free port
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=codeserver.sh
source "$REPO/scripts/codeserver.sh"

cs_ensure_apt
cs_ensure_codeserver
cs_ensure_node_modules
cs_build_vsix

WS=${DEMO_DIR:-$CAIRN_CACHE/editor-workspace}
cs_prepare_demo "$WS"
cs_prepare_profile "$CAIRN_CACHE/editor-profile"     # kept between runs: your layout and chat history stay
cs_install_extension "$CAIRN_VSIX"

PORT=${PORT:-$(cs_free_port)}
trap cs_stop EXIT
trap 'exit 130' INT TERM
cs_start "$WS" "$PORT" "$CAIRN_CACHE/editor-code-server.log"
cs_wait_healthy 60
cat <<MSG

  Cairn demo in VS Code:  http://127.0.0.1:$PORT/?folder=$WS

  Try: hover create_token in src/auth/session.py; the Problems panel (the stale gotcha in
  src/billing/invoice.py); Command Palette > "Cairn: Recall for This File"; the status bar item.
  Chat needs a Copilot sign-in (not available offline); "Cairn: Copy Recall for Agent Chat" works anywhere.
  Log: $CAIRN_CACHE/editor-code-server.log     Ctrl-C to stop.

MSG
wait "$CS_PGID" || true
