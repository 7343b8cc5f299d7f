"""Git integration: the post-merge/post-checkout/post-rewrite hooks, the opt-in pre-commit hook, merge drivers.

`cairn hooks install` puts small shell hooks in the folder git runs hooks from (`core.hooksPath` is
honoured, so husky-style setups work). A hook that is already there is renamed `<name>.cairn-chained`
and called first with the same arguments and stdin, and its exit status is kept; `uninstall` puts it
back.

The post-* hooks never write a tracked file and never fail the git command. They run `cairn sync`
(judge every note, keep derived state under `<git dir>/cairn/`) and print the notes that just went
stale *for the operation that caused it*: the foreground waits a bounded time for the sync (which runs
in a forked, detached process, output to `<git dir>/cairn/sync.log`), and when it is not done by then it
says so in one line and leaves the sync to finish in the background (its result is never shown by a
later git command). post-checkout first asks, in sh, whether any anchored file or note changed between
the two commits (`watch-paths`, written by the last sync); when none did, it returns without starting
Python.

`cairn hooks install --pre-commit` adds a pre-commit hook that re-anchors the notes whose anchored code
is in the commit being made and stages them into it (`cairn.precommit`; it fails open). The same step
is offered to the pre-commit framework (`.pre-commit-hooks.yaml`, id `cairn-reanchor`).

It also registers the merge drivers (`cairn merge-note` for notes, `cairn merge-index` for index.json)
in `.gitattributes` (a managed block) and the repository's git config.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import shutil
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cairn.errors import UsageError
from cairn.workspace import Workspace

# Kept free of heavy imports at module level (GitPython, YAML): `run_hook` runs inside `git checkout`.

LOG_FILE = "sync.log"  # in the workspace cache (`<git dir>/cairn/`), as in cairn.sync
WATCH_FILE = "watch-paths"  # as cairn.sync.WATCH_FILE
HOOKS = ("post-merge", "post-checkout", "post-rewrite")
PRE_COMMIT = "pre-commit"
MARKER = "# cairn-managed hook"
CHAINED_SUFFIX = ".cairn-chained"
ATTR_BEGIN = "# >>> cairn merge drivers (managed by `cairn hooks install`)"
ATTR_END = "# <<< cairn merge drivers"
# How long the foreground hook waits for the sync before leaving it to the background (seconds).
DEFAULT_WAIT = {"post-checkout": 1.0, "post-merge": 5.0, "post-rewrite": 5.0}


@dataclass
class HookChange:
    installed: list[str] = field(default_factory=list)
    chained: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def cairn_command() -> str:
    """How hooks and merge drivers call cairn: this very executable when we can tell, else PATH."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "cairn" and argv0.is_file():
        return str(argv0.resolve())
    found = shutil.which("cairn")
    if found:
        return str(Path(found).resolve())
    return "cairn"


def _script(name: str, cairn: str, notes_root: str = "agent-context") -> str:
    stdin_capture = name == "post-rewrite"
    lines = [
        "#!/bin/sh",
        f"{MARKER} (`cairn hooks install`; `cairn hooks uninstall` restores any previous hook)",
        'hook_dir=$(dirname "$0")',
        "status=0",
    ]
    chained = f'"$hook_dir/{name}{CHAINED_SUFFIX}"'
    if stdin_capture:
        lines += [
            "input=$(cat)",
            f'if [ -x {chained} ]; then',
            f'    printf "%s\\n" "$input" | {chained} "$@" || status=$?',
            "fi",
        ]
    else:
        lines += [f'if [ -x {chained} ]; then', f'    {chained} "$@" || status=$?', "fi"]
    if name == PRE_COMMIT:
        # A failing chained pre-commit hook already refuses the commit: nothing to re-anchor then.
        lines += ['if [ "$status" != "0" ]; then exit "$status"; fi']
    lines += [
        'if [ "${CAIRN_HOOKS:-1}" != "0" ]; then',
        f"    cairn_bin={shlex.quote(cairn)}",
        '    command -v "$cairn_bin" >/dev/null 2>&1 || cairn_bin=cairn',
    ]
    if name == PRE_COMMIT:
        lines.append('    "$cairn_bin" hooks pre-commit </dev/null || true')
    elif name in ("post-checkout", "post-merge"):
        # The fast path, all in sh: a file checkout, a new branch on the same commit, a checkout in the
        # middle of a rebase (post-rewrite reports at its end), or two commits that differ in no anchored
        # file and no note cannot change what is stale. Otherwise Python, waited for a bounded time.
        old, new = ('"$1"', '"$2"') if name == "post-checkout" else ("ORIG_HEAD", "HEAD")
        lines += [
            '    git_dir=$(git rev-parse --absolute-git-dir 2>/dev/null)',
            f'    watch="$git_dir/cairn/{WATCH_FILE}"',
            '    run=1',
        ]
        if name == "post-checkout":
            lines += [
                '    if [ "$3" != "1" ] || [ "$1" = "$2" ]; then',
                "        run=0",
                '    elif [ -d "$git_dir/rebase-merge" ] || [ -d "$git_dir/rebase-apply" ]; then',
                "        run=0",
                "    fi",
            ]
        # The watch list holds when no note was added, edited or removed since it was written (a new
        # note may anchor a file it does not list); a squash merge changes files without moving HEAD.
        squash = ' && [ "$1" != "1" ]' if name == "post-merge" else ""
        lines += [
            f'    notes={shlex.quote(notes_root)}',
            f'    if [ "$run" = "1" ] && [ -s "$watch" ]{squash} &&',
            '       [ -z "$(find "$notes" -newer "$watch" -print 2>/dev/null | head -n 1)" ]; then',
            f'        if changed=$(git diff --name-only --no-renames {old} {new} 2>/dev/null); then',
            '            printf "%s\\n" "$changed" | grep -qFf "$watch" || run=0',
            "        fi",
            "    fi",
            '    if [ "$run" = "1" ]; then',
            f'        "$cairn_bin" sync --hook {name} -- "$@" </dev/null || true',
            "    fi",
        ]
    else:
        lines.append(f'    "$cairn_bin" sync --hook {name} -- "$@" </dev/null || true')
    lines += [
        "fi",
        'exit "$status"',
        "",
    ]
    return "\n".join(lines)


def _is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _write_executable(path: Path, text: str) -> None:
    from cairn.notes.store import atomic_write

    atomic_write(path, text)
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRUSR)


def install(ws: Workspace, cairn: str | None = None, pre_commit: bool = False) -> HookChange:
    """Install the hooks (chaining existing ones) and the merge drivers; idempotent.

    `pre_commit` also installs the opt-in pre-commit re-anchoring hook.
    """
    from cairn.gitio.ranges import hooks_dir

    if ws.git_dir is None:
        raise UsageError("not a git repository: hooks need git (run `git init` first)")
    cairn = cairn or cairn_command()
    change = HookChange()
    folder = hooks_dir(ws.root)
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*HOOKS, PRE_COMMIT) if pre_commit else HOOKS:
        path = folder / name
        if (path.exists() or path.is_symlink()) and not _is_ours(path):
            chained = folder / f"{name}{CHAINED_SUFFIX}"
            if chained.exists():
                raise UsageError(f"{chained} already exists; remove it or run `cairn hooks uninstall` first")
            os.replace(path, chained)
            change.chained.append(name)
        _write_executable(path, _script(name, cairn, ws.notes_root_rel))
        change.installed.append(name)
    _install_merge_drivers(ws, cairn)
    change.notes.append(f"hooks in {folder}")
    if folder.name == "_" and folder.parent.name == ".husky":
        change.notes.append("husky rewrites .husky/_ when it installs: run `cairn hooks install` again after it")
    return change


def uninstall(ws: Workspace) -> HookChange:
    """Remove our hooks (restoring chained ones), the .gitattributes block and the driver config."""
    from cairn.gitio.ranges import config_remove_section, hooks_dir

    if ws.git_dir is None:
        raise UsageError("not a git repository")
    change = HookChange()
    folder = hooks_dir(ws.root)
    for name in (*HOOKS, PRE_COMMIT):
        path = folder / name
        chained = folder / f"{name}{CHAINED_SUFFIX}"
        if path.exists() and _is_ours(path):
            path.unlink()
            change.removed.append(name)
        if chained.exists() and not path.exists():
            os.replace(chained, path)
            change.restored.append(name)
    _remove_attr_block(ws)
    for section in ("merge.cairn-note", "merge.cairn-index"):
        config_remove_section(ws.root, section)
    return change


def _attr_block(ws: Workspace) -> str:
    root = ws.notes_root_rel
    return "\n".join([
        ATTR_BEGIN,
        f"{root}/**/*.md merge=cairn-note",
        f"{root}/index.json merge=cairn-index",
        ATTR_END,
    ]) + "\n"


def replace_block(text: str, begin: str, end: str, block: str) -> str:
    """`text` with the managed block between `begin` and `end` replaced (or appended when absent)."""
    start = text.find(begin)
    if start >= 0:
        stop = text.find(end, start)
        if stop >= 0:
            stop = text.find("\n", stop)
            stop = len(text) if stop < 0 else stop + 1
            return text[:start] + block + text[stop:]
    if text and not text.endswith("\n"):
        text += "\n"
    sep = "\n" if text.strip() else ""
    return text + sep + block if text.strip() else block


def remove_block(text: str, begin: str, end: str) -> str:
    start = text.find(begin)
    if start < 0:
        return text
    stop = text.find(end, start)
    if stop < 0:
        return text
    stop = text.find("\n", stop)
    stop = len(text) if stop < 0 else stop + 1
    before = text[:start]
    if before.endswith("\n\n"):
        before = before[:-1]
    return before + text[stop:]


def _install_merge_drivers(ws: Workspace, cairn: str) -> None:
    from cairn.gitio.ranges import config_set
    from cairn.notes.store import atomic_write

    attrs = ws.root / ".gitattributes"
    old = attrs.read_text(encoding="utf-8") if attrs.is_file() else ""
    new = replace_block(old, ATTR_BEGIN, ATTR_END, _attr_block(ws))
    if new != old:
        atomic_write(attrs, new)
    exe = shlex.quote(cairn)
    config_set(ws.root, "merge.cairn-note.name", "cairn: merge notes field by field")
    config_set(ws.root, "merge.cairn-note.driver", f"{exe} merge-note %O %A %B %P")
    config_set(ws.root, "merge.cairn-index.name", "cairn: regenerate index.json")
    config_set(ws.root, "merge.cairn-index.driver", f"{exe} merge-index %O %A %B %P")


def _remove_attr_block(ws: Workspace) -> None:
    from cairn.notes.store import atomic_write

    attrs = ws.root / ".gitattributes"
    if not attrs.is_file():
        return
    old = attrs.read_text(encoding="utf-8")
    new = remove_block(old, ATTR_BEGIN, ATTR_END)
    if new == old:
        return
    if new.strip():
        atomic_write(attrs, new)
    else:
        attrs.unlink()


def status(ws: Workspace) -> dict[str, str]:
    """Per hook: `installed`, `installed (chained)`, `foreign` (someone else's) or `absent`."""
    from cairn.gitio.ranges import hooks_dir

    folder = hooks_dir(ws.root)
    out = {}
    for name in (*HOOKS, PRE_COMMIT):
        path = folder / name
        if path.exists() and _is_ours(path):
            chained = (folder / f"{name}{CHAINED_SUFFIX}").exists()
            out[name] = "installed (chained)" if chained else "installed"
        else:
            out[name] = "foreign" if path.exists() else "absent"
    return out


def run_hook(ws: Workspace, hook: str, args: list[str], wait: float | None = None) -> int:
    """The foreground part of a post-* hook: sync in a detached child, print its news if it is done in time.

    The news is printed for the git command that caused it or not at all: when the child is not done
    within `wait` seconds (`CAIRN_HOOK_WAIT` overrides), one line says it goes on in the background.
    Never fails the git command: every problem goes to the sync log.
    """
    if hook == "post-checkout" and len(args) >= 3 and args[2] == "0":
        return 0  # a file checkout (`git checkout -- path`): nothing moved between commits
    if wait is None:
        env_wait = os.environ.get("CAIRN_HOOK_WAIT")
        try:
            wait = float(env_wait) if env_wait else DEFAULT_WAIT.get(hook, 1.0)
        except ValueError:
            wait = DEFAULT_WAIT.get(hook, 1.0)
    log_file = ws.cache_dir() / LOG_FILE
    if not hasattr(os, "fork"):  # no fork (Windows): sync in the foreground
        from cairn.sync import run_and_record

        sys.stderr.write(run_and_record(ws).to_text())
        return 0
    read_end, write_end = os.pipe()
    log = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(log, f"--- {hook} {' '.join(args)}\n".encode())
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: detached from git's terminal and pipes, reports through `write_end`
        os.close(read_end)
        _sync_child(ws, log, write_end)
    os.close(write_end)
    os.write(log, f"sync pid {pid}\n".encode())
    os.close(log)
    text, done = _read_until(read_end, time.monotonic() + max(wait, 0.0))
    os.close(read_end)
    if done:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        sys.stderr.write(text)
    else:
        print(f"cairn: still checking notes in the background (log: {log_file}); `cairn check` lists "
              "stale notes", file=sys.stderr)
    return 0


def _sync_child(ws: Workspace, log: int, report: int) -> None:
    """Run the sync in a forked child with its own session, stdio on the log; never returns."""
    code = 0
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            os.environ.pop(name, None)
        sys.stdout = os.fdopen(1, "w", closefd=False)
        sys.stderr = os.fdopen(2, "w", closefd=False)
        from cairn.sync import run_and_record

        text = run_and_record(ws).to_text()
        with contextlib.suppress(OSError):
            data = text.encode()
            while data:
                data = data[os.write(report, data):]
    except BaseException:  # the child must never return into git's hook
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _read_until(fd: int, deadline: float) -> tuple[str, bool]:
    """Everything written to `fd` until its writer closes it (done) or the deadline passes (not done)."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "", False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return "", False
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks).decode("utf-8", "replace"), True
        chunks.append(chunk)
