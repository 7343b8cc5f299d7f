"""Forward a read-only command (`recall`, `search`) or an agent hook to a warm `cairn daemon` of this repository.

Why: agents call `cairn recall` from hooks on every edit and people call it like `rg`; most of a cold
run is importing the engine (tantivy, yaml) and re-reading the index. A daemon that keeps them
loaded answers in a few milliseconds, the way `dmypy` and `eslint_d` do. This module runs before the CLI
parses anything (see cairn/launcher.py), so it imports only cheap standard modules — no json, re,
pathlib or hashlib, each worth milliseconds at start-up, and the C `_socket` rather than `socket` (whose
enum, selectors and functools cost about 8 ms of CPU, most of a forwarded call's client) — and answers
`None` ("run it yourself") on any doubt: no daemon, a daemon of another version, an option it does
not understand, a refused socket. The in-process path stays the reference; the daemon runs the very
same command code.

Agent hooks (`cairn agent-hook EVENT`, run by Claude Code on every edit) go the same way with their
stdin: the daemon keeps the hooks' note map in memory, fed by its inotify watch. A hook answer is
taken only when it exits 0 within HOOK_ANSWER_TIMEOUT_S; anything else runs the hook in-process with the
stdin already read, so a hook never fails because of the daemon.

Wire format (both directions end at EOF):
  request  b"CAIRN1\\0" version \\0 cwd \\0 flags \\0 argv[0] \\0 argv[1] … [\\0 stdin]
           (flags: "t" stdout is a tty, "n" NO_COLOR, last "i<n>": the request ends with \\0 and
           n bytes of the caller's stdin)
  answer   b"<code> <len stdout> <len stderr>\\n" stdout stderr   (code "-": declined, run it yourself)
"""

from __future__ import annotations

import _socket
import os
import stat
import sys
import zlib

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing (or collections.abc) costs ms here
if TYPE_CHECKING:
    from collections.abc import Sequence

FORWARDED = frozenset({"recall", "search"})
MAGIC = b"CAIRN1\0"
CONNECT_TIMEOUT_S = 0.5
ANSWER_TIMEOUT_S = 60.0
HOOK_ANSWER_TIMEOUT_S = 10.0  # then the hook runs in-process: an agent never waits on a stuck daemon
HOOK_EVENTS = ("session-start", "post-tool-use", "stop")  # as cairn.agent_hooks.protocol.EVENTS names them


def find_git_dir(start: str) -> str | None:
    """The git directory of the repository containing `start` (`.git` folder or a worktree's `gitdir:` file)."""
    folder = os.path.abspath(start)
    while True:
        dot_git = os.path.join(folder, ".git")
        if os.path.isdir(dot_git):
            return os.path.realpath(dot_git)
        if os.path.isfile(dot_git):
            try:
                with open(dot_git, encoding="utf-8") as f:
                    text = f.read().strip()
            except OSError:
                return None
            if not text.startswith("gitdir:"):
                return None
            target = os.path.join(folder, text[len("gitdir:"):].strip())
            return os.path.realpath(target) if os.path.isdir(target) else None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def runtime_dir() -> str:
    """A folder only this user can enter: `$XDG_RUNTIME_DIR/cairn`, else `/tmp/cairn-<uid>` (mode 0700)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(base, "cairn") if base else f"/tmp/cairn-{os.getuid()}"


def socket_path(git_dir: str) -> str:
    """Where the daemon of this git dir listens. Unix socket paths are short (108 bytes), so the git dir is
    hashed into the private runtime folder. (Two repositories sharing a hash would still get correct
    answers: the daemon runs each command in the caller's directory.)"""
    key = os.path.realpath(git_dir).encode()
    return os.path.join(runtime_dir(), f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}.sock")


def private_dir_ok(folder: str) -> bool:
    """The runtime folder exists, is ours and nobody else can enter it (else another user could listen)."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not (st.st_mode & 0o077)


def forwardable(argv: Sequence[str]) -> str | None:
    """The directory to look for a repository in when argv is `[-C DIR] recall|search …`; else None."""
    rest = list(argv)
    directory = "."
    if rest[:1] == ["-C"] and len(rest) >= 2:
        directory, rest = rest[1], rest[2:]
    if not rest or rest[0] not in FORWARDED or "-h" in rest or "--help" in rest:
        return None
    return directory


def encode_request(version: str, cwd: str, argv: Sequence[str], tty: bool, no_color: bool,
                   stdin: bytes | None = None) -> bytes:
    flags = ("t" if tty else "") + ("n" if no_color else "") + ("" if stdin is None else f"i{len(stdin)}")
    head = MAGIC + b"\0".join(s.encode("utf-8", "surrogateescape") for s in (version, cwd, flags, *argv))
    return head if stdin is None else head + b"\0" + stdin


def decode_request(data: bytes) -> tuple[str, str, str, list[str], bytes | None] | None:
    """(version, cwd, flags, argv, stdin or None) of an `encode_request` request; None when malformed."""
    if not data.startswith(MAGIC):
        return None
    parts = data[len(MAGIC):].split(b"\0", 3)
    if len(parts) < 4:
        return None
    version, cwd, flags = (p.decode("utf-8", "surrogateescape") for p in parts[:3])
    rest = parts[3]
    stdin = None
    mark = flags.find("i")
    if mark >= 0:
        digits = flags[mark + 1:]
        if not digits.isdigit() or len(rest) < int(digits) + 1 or rest[len(rest) - int(digits) - 1] != 0:
            return None
        size = int(digits)
        stdin, rest = rest[len(rest) - size:], rest[:len(rest) - size - 1]
    argv = [a.decode("utf-8", "surrogateescape") for a in rest.split(b"\0")]
    return version, cwd, flags, argv, stdin


def decode_answer(data: bytes) -> tuple[int, bytes, bytes] | None:
    head, sep, rest = data.partition(b"\n")
    parts = head.split()
    if not sep or len(parts) != 3 or not parts[0].lstrip(b"-").isdigit():
        return None
    try:
        code, n_out, n_err = int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        return None
    if n_out + n_err != len(rest):
        return None
    return code, rest[:n_out], rest[n_out:]


# Variables that make git (and so Cairn) see another repository, index or object store than the folder
# says: a caller with one set runs in-process, where they take effect; the daemon runs without them.
GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
                     "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES")


def _daemon_socket(directory: str) -> tuple[str, str] | None:
    """(the caller's cwd, the socket of the daemon serving `directory`'s repository) when one may listen."""
    environ = os.environ
    if environ.get("CAIRN_NO_DAEMON") or any(name in environ for name in GIT_LOCATION_VARS):
        return None
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    git_dir = find_git_dir(os.path.join(cwd, directory))
    if git_dir is None:
        return None
    path = socket_path(git_dir)
    if not private_dir_ok(os.path.dirname(path)) or not os.path.exists(path):
        return None
    return cwd, path


def _exchange(path: str, request: bytes, timeout: float) -> tuple[int, bytes, bytes] | None:
    """Send one request and read the whole answer; None on any doubt (the caller runs it itself)."""
    try:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    except OSError:
        return None
    try:
        sock.settimeout(CONNECT_TIMEOUT_S)
        sock.connect(path)
        sock.settimeout(timeout)
        sock.sendall(request)
        sock.shutdown(_socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
    except ConnectionRefusedError:
        _remove_stale(path)
        return None
    except OSError:
        return None
    finally:
        sock.close()
    return decode_answer(b"".join(chunks))  # None: declined (another version...) or garbled


def _write(out: bytes, err: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    sys.stderr.buffer.write(err)
    sys.stderr.buffer.flush()


def forward(argv: Sequence[str], version: str) -> int | None:
    """Run argv in the daemon and write its output; None when the caller must run it itself."""
    directory = forwardable(argv)
    if directory is None:
        return None
    found = _daemon_socket(directory)
    if found is None:
        return None
    cwd, path = found
    request = encode_request(version, cwd, argv, sys.stdout.isatty(), bool(os.environ.get("NO_COLOR")))
    answer = _exchange(path, request, ANSWER_TIMEOUT_S)
    if answer is None:
        return None
    code, out, err = answer
    _write(out, err)
    return code


def forward_hook(event: str, version: str) -> tuple[int | None, bytes | None]:
    """Run the agent hook `event` in the daemon: (0, None) when it answered (its output written);
    (None, stdin) when the caller must run the hook itself — with `stdin` when it was already read
    (None: stdin is untouched). CAIRN_DEBUG keeps hooks in-process, where their errors are raised."""
    if event not in HOOK_EVENTS or os.environ.get("CAIRN_DEBUG"):
        return None, None
    found = _daemon_socket(".")
    if found is None:
        return None, None
    cwd, path = found
    try:
        stdin = sys.stdin.buffer.read()
    except (OSError, ValueError, AttributeError):
        return None, None
    request = encode_request(version, cwd, ["agent-hook", event], False, False, stdin)
    answer = _exchange(path, request, HOOK_ANSWER_TIMEOUT_S)
    if answer is None or answer[0] != 0:
        return None, stdin
    _write(answer[1], answer[2])
    return 0, None


def _remove_stale(path: str) -> None:
    """A socket file nobody listens on (the daemon was killed): remove it so the next call skips it."""
    try:  # noqa: SIM105 - contextlib is one more import on the start-up path this module keeps lean
        os.unlink(path)
    except OSError:
        pass
