"""Git integration: the post-merge/post-checkout/post-rewrite hooks and the merge drivers.

`cairn hooks install` puts small shell hooks in the folder git runs hooks from (`core.hooksPath` is
honoured, so husky-style setups work). A hook that is already there is renamed `<name>.cairn-chained`
and called first with the same arguments and stdin, and its exit status is kept; `uninstall` puts it
back. Our part runs `cairn sync --hook NAME`, which starts the real work in a detached process (output
to `<git dir>/cairn/sync.log`) and waits only briefly for it: long enough to print the notes that just
went stale after a small merge, never long enough to make `git checkout` feel slow.

It also registers the merge drivers (`cairn merge-note` for notes, `cairn merge-index` for index.json)
in `.gitattributes` (a managed block) and the repository's git config.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cairn.errors import UsageError
from cairn.workspace import Workspace

# Kept free of heavy imports at module level (GitPython, YAML): `run_hook` runs inside `git checkout`.

LOG_FILE = "sync.log"  # in the workspace cache (`<git dir>/cairn/`), as in cairn.sync
RESULT_FILE = "sync-result.json"
NEWS_FILE = "sync-news.txt"  # first line: the HEAD it is about; then the text to show, once
HOOKS = ("post-merge", "post-checkout", "post-rewrite")
MARKER = "# cairn-managed hook"
CHAINED_SUFFIX = ".cairn-chained"
ATTR_BEGIN = "# >>> cairn merge drivers (managed by `cairn hooks install`)"
ATTR_END = "# <<< cairn merge drivers"
# How long the foreground hook waits for the sync before leaving it to the background (seconds).
DEFAULT_WAIT = {"post-checkout": 0.1, "post-merge": 5.0, "post-rewrite": 5.0}


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


def _script(name: str, cairn: str) -> str:
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
    lines += [
        'if [ "${CAIRN_HOOKS:-1}" != "0" ]; then',
        f"    cairn_bin={shlex.quote(cairn)}",
        '    command -v "$cairn_bin" >/dev/null 2>&1 || cairn_bin=cairn',
    ]
    if name == "post-checkout":
        # The fast path, all in sh (no Python in the foreground of `git checkout`): show the news a
        # background sync left for this very commit, then start the next sync detached.
        lines += [
            '    if [ "$3" != "1" ]; then',
            "        :  # a file checkout: nothing moved between commits",
            '    elif [ -z "${CAIRN_HOOK_WAIT:-}" ]; then',
            '        cairn_dir="$(git rev-parse --absolute-git-dir)/cairn"',
            '        mkdir -p "$cairn_dir"',
            f'        if [ -s "$cairn_dir/{NEWS_FILE}" ]; then',
            f'            news_head=$(head -n 1 "$cairn_dir/{NEWS_FILE}")',
            '            if [ "$news_head" = "$2" ]; then',
            '                echo "cairn: (from the last background check)" >&2',
            f'                tail -n +2 "$cairn_dir/{NEWS_FILE}" >&2',
            "            fi",
            f'            rm -f "$cairn_dir/{NEWS_FILE}"',
            "        fi",
            '        echo "--- post-checkout $*" >> "$cairn_dir/sync.log"',
            '        (unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE; exec nohup "$cairn_bin" sync --record)'
            ' </dev/null >>"$cairn_dir/sync.log" 2>&1 &',
            '        echo "sync pid $!" >> "$cairn_dir/sync.log"',
            "    else",
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


def install(ws: Workspace, cairn: str | None = None) -> HookChange:
    """Install the hooks (chaining existing ones) and the merge drivers; idempotent."""
    from cairn.gitio.ranges import hooks_dir

    if ws.git_dir is None:
        raise UsageError("not a git repository: hooks need git (run `git init` first)")
    cairn = cairn or cairn_command()
    change = HookChange()
    folder = hooks_dir(ws.root)
    folder.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        path = folder / name
        if (path.exists() or path.is_symlink()) and not _is_ours(path):
            chained = folder / f"{name}{CHAINED_SUFFIX}"
            if chained.exists():
                raise UsageError(f"{chained} already exists; remove it or run `cairn hooks uninstall` first")
            os.replace(path, chained)
            change.chained.append(name)
        _write_executable(path, _script(name, cairn))
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
    for name in HOOKS:
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
    for name in HOOKS:
        path = folder / name
        if path.exists() and _is_ours(path):
            chained = (folder / f"{name}{CHAINED_SUFFIX}").exists()
            out[name] = "installed (chained)" if chained else "installed"
        else:
            out[name] = "foreign" if path.exists() else "absent"
    return out


def run_hook(ws: Workspace, hook: str, args: list[str], wait: float | None = None) -> int:
    """The foreground part of a hook: start the sync detached, print its result if it is quick.

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
    cache = ws.cache_dir()
    news, log_file = cache / NEWS_FILE, cache / LOG_FILE
    head = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=ws.root, capture_output=True,
                          text=True, check=False).stdout.strip()
    # A background sync that finished after its hook returned: show its news now, once, if it is
    # about the commit we are on (after moving elsewhere it no longer applies).
    show_news(news, head, prefix="cairn: (from the last background check)\n")
    with log_file.open("ab") as log:
        log.write(f"--- {hook} {' '.join(args)}\n".encode())
        log.flush()
        env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "cairn", "-C", str(ws.root), "sync", "--record"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True, close_fds=True,
        )
    with log_file.open("a", encoding="utf-8") as note:
        note.write(f"sync pid {proc.pid}\n")
    try:
        proc.wait(timeout=max(wait, 0.0))
    except subprocess.TimeoutExpired:
        if wait >= 1.0:
            print(f"cairn: still checking notes in the background (see {log_file})", file=sys.stderr)
        return 0
    show_news(news, head)
    return 0


def show_news(news: Path, head: str, prefix: str = "") -> None:
    """Print (once) what a sync left in the news file, if it is about `head`; the file is consumed."""
    try:
        text = news.read_text(encoding="utf-8")
    except OSError:
        return
    with contextlib.suppress(OSError):
        news.unlink()
    about, _, body = text.partition("\n")
    if about.strip() == head and body.strip():
        sys.stderr.write(prefix + body)
