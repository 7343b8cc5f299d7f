"""The `cairn agent-hook EVENT` process: the warm daemon first, else the hook here (see cairn.agent_hooks).

Kept apart from cairn.cli and cairn.launcher, which both run hooks through it, so that neither the
argument parser nor the command modules are imported by a hook.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: this module is on the start-up path of every hook
if TYPE_CHECKING:
    from cairn.workspace import Workspace


def run_hook_event(event: str, forward: bool = True) -> int:
    """`cairn agent-hook EVENT` as Claude Code runs it after every file edit: no argparse, no command
    modules. With `forward`, the repository's daemon answers when it runs (cairn.daemon.client); else
    the hook runs here and, at session start in a large repository, starts that daemon for the session's
    later hooks (cairn.agent_hooks.common.HookContext). Never raises; always returns 0."""
    stdin = None
    if forward:
        from cairn import __version__
        from cairn.daemon.client import forward_hook

        code, stdin = forward_hook(event, __version__)
        if code is not None:
            return code
    import io

    from cairn.agent_hooks import main as run_hook
    from cairn.agent_hooks.common import HookContext

    context = HookContext(start_warm=_start_daemon if forward else None)
    return run_hook(event, stdin=io.BytesIO(stdin) if stdin is not None else None, context=context)


def _start_daemon(ws: Workspace) -> None:
    """Start this repository's daemon in the background unless CAIRN_NO_DAEMON says not to (a second
    start while one runs exits at once: cairn.daemon.server holds a lock)."""
    import os

    if os.environ.get("CAIRN_NO_DAEMON") or ws.git_dir is None:
        return
    from cairn.daemon.spawn import spawn

    spawn(ws.root, str(ws.git_dir))
