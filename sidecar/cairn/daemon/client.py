"""Forward a read-only command (`recall`, `search`) to a warm `cairn daemon` of this repository.

Why: agents call `cairn recall` from hooks on every edit and people call it like `rg`; most of a cold
run is importing the engine (tantivy, yaml) and re-reading the index. A daemon that keeps them
loaded answers in a few milliseconds, the way `dmypy` and `eslint_d` do. This module runs before the CLI
parses anything (see cairn/launcher.py), so it imports only cheap standard modules — no json, re,
pathlib or hashlib, each worth milliseconds at start-up, and the C `_socket` rather than `socket` (whose
enum, selectors and functools cost about 8 ms of CPU, most of a forwarded call's client) — and answers
`None` ("run it yourself") on any doubt: no daemon, a daemon of another version, an option it does
not understand, a refused socket. The in-process path stays the reference; the daemon runs the very
same command code.

Wire format (both directions end at EOF):
  request  b"CAIRN1\\0" version \\0 cwd \\0 flags \\0 argv[0] \\0 argv[1] …
           (flags: "t" stdout is a tty, "n" NO_COLOR)
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


def encode_request(version: str, cwd: str, argv: Sequence[str], tty: bool, no_color: bool) -> bytes:
    flags = ("t" if tty else "") + ("n" if no_color else "")
    return MAGIC + b"\0".join(s.encode("utf-8", "surrogateescape") for s in (version, cwd, flags, *argv))


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


def forward(argv: Sequence[str], version: str) -> int | None:
    """Run argv in the daemon and write its output; None when the caller must run it itself."""
    if os.environ.get("CAIRN_NO_DAEMON"):
        return None
    directory = forwardable(argv)
    if directory is None:
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
    request = encode_request(version, cwd, argv, sys.stdout.isatty(), bool(os.environ.get("NO_COLOR")))
    try:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    except OSError:
        return None
    try:
        sock.settimeout(CONNECT_TIMEOUT_S)
        sock.connect(path)
        sock.settimeout(ANSWER_TIMEOUT_S)
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
    answer = decode_answer(b"".join(chunks))
    if answer is None:
        return None  # declined (another version, a directory it does not serve) or garbled
    code, out, err = answer
    sys.stdout.flush()
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    sys.stderr.buffer.write(err)
    sys.stderr.buffer.flush()
    return code


def _remove_stale(path: str) -> None:
    """A socket file nobody listens on (the daemon was killed): remove it so the next call skips it."""
    try:  # noqa: SIM105 - contextlib is one more import on the start-up path this module keeps lean
        os.unlink(path)
    except OSError:
        pass
