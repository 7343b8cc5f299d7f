"""One persistent `git cat-file --batch` process: object headers and contents without GitPython.

`GitRepo` reads recorded files (blobs) and checks commits through this. It replaces GitPython's
`get_object_header`/`get_object_data`, which did the same over the same git command but cost ~55 ms of
CPU to import: too much for the commands agents' hooks run after every file edit, and for `cairn recall`.

Protocol (git-cat-file(1), BATCH OUTPUT): for each object name written on a line, git answers
`<oid> <type> <size>\\n<contents>\\n`, or `<name> missing\\n` / `<name> ambiguous\\n`.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import IO


class CatFile:
    """A `git cat-file --batch` child of one repository; not thread-safe (`GitRepo` holds its lock)."""

    def __init__(self, root: Path, env: Mapping[str, str]) -> None:
        self.root = root
        self.env = dict(env)
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"], cwd=self.root, env=self.env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        return self._proc.stdin, self._proc.stdout

    def read(self, ref: str) -> tuple[str, str, bytes] | None:
        """(oid, type, contents) of the object `ref` names; None when it is missing or ambiguous."""
        if not ref or "\n" in ref:
            return None
        for attempt in (1, 2):
            stdin, stdout = self._start()
            try:
                stdin.write(ref.encode("utf-8", "surrogateescape") + b"\n")
                stdin.flush()
                header = stdout.readline()
                if not header:
                    raise BrokenPipeError("git cat-file ended")
            except (BrokenPipeError, OSError):
                self.close()  # the child died (e.g. the repository moved): start a new one once
                if attempt == 2:
                    return None
                continue
            parts = header.split()
            if len(parts) != 3:
                return None  # "<name> missing" / "<name> ambiguous"
            size = int(parts[2])
            data = stdout.read(size)
            stdout.read(1)  # the newline after the contents
            return parts[0].decode(), parts[1].decode(), data
        return None

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


__all__ = ["CatFile"]
