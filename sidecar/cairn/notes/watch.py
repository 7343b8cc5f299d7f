"""`NotesWatch`: the note files under a notes root, kept current by Linux inotify instead of a walk per call.

Why: a warm process (`cairn daemon`) must see a note written a millisecond before a request, so it used to
walk and stat the whole notes folder on every request — most of its work at 10,000 notes. Here one walk
at start adds an inotify watch to every folder it enters (before listing it), and each `files()` call
then only drains the inotify queue and re-stats the files named in its events.

Why that is as exact as a walk: Linux queues an inotify event synchronously, inside the system call that
made the change (write, close, rename, unlink, chmod/utime), so every change that finished before
`files()` is called is already in the queue that `files()` reads to the end. That is why no sync
cookie is needed (watchman needs one because its watcher hands events across threads/processes). Anything
the incremental path does not follow exactly — a folder created, removed or moved, a queue overflow, a
watched folder gone — starts over with a full walk. What inotify cannot see: changes made on another
machine to a network file system, writes through a shared mmap, and edits through a hard link whose
other name lies outside the notes folder; a daemon over such a folder should be run with
`CAIRN_NO_WATCH=1` (then `files()` answers None and the caller walks every time, as before).

Off Linux, or when a watch cannot be added (the `max_user_watches` limit, permissions), `files()`
answers None for good and the caller walks.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import struct
import sys
from pathlib import Path

from cairn.notes.files import NoteFile, note_id_for, scan, stat_note

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_UNMOUNT = 0x00002000
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

_MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
         | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
_RESTART = IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)


class _Unwatchable(Exception):
    """A folder could not be watched: give up watching (the caller walks instead)."""


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux") or os.environ.get("CAIRN_NO_WATCH"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    except (OSError, AttributeError):
        return None
    return libc


class NotesWatch:
    """The note files below `root` (what `cairn.notes.files.scan(root)` would list), kept by inotify.

    Not thread-safe: one caller at a time (the daemon serves one request at a time)."""

    def __init__(self, root: Path | str) -> None:
        self.root = os.fspath(root)
        self._libc = _libc()
        self._fd = -1
        self._folders: dict[int, str] = {}  # watch descriptor → folder prefix below root ("" or "a/b/")
        self._files: dict[str, NoteFile] = {}
        self._started = False
        self.walks = 0  # full walks so far (tests assert that a plain edit needs none)

    @property
    def available(self) -> bool:
        return self._libc is not None

    def files(self) -> list[NoteFile] | None:
        """The note files now, or None when this watch cannot answer (the caller then walks)."""
        if self._libc is None:
            return None
        if not self._started or not self._drain():
            self._start()
        return None if self._libc is None else list(self._files.values())

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = -1
        self._folders = {}
        self._started = False

    # ---- internals -------------------------------------------------------------------------------
    def _give_up(self) -> None:
        self.close()
        self._libc = None
        self._files = {}

    def _start(self) -> None:
        """A fresh inotify instance and one walk that watches each folder before listing it."""
        assert self._libc is not None
        self.close()
        fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            self._give_up()
            return
        self._fd = fd
        self.walks += 1
        try:
            found = scan(self.root, on_folder=self._watch)
        except _Unwatchable:
            self._give_up()
            return
        self._files = {f.id: f for f in found}
        # A missing notes root has no watch: walk again next time (cheap: it is one failed stat).
        self._started = bool(self._folders)

    def _watch(self, folder: str, prefix: str) -> None:
        assert self._libc is not None
        flags = _MASK if not prefix else _MASK | IN_DONT_FOLLOW  # the root may be a symlink, as for scan()
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), flags)
        if wd < 0:
            err = ctypes.get_errno()
            if err in (errno.ENOENT, errno.ENOTDIR):
                return  # gone while walking: scan() skips it too
            raise _Unwatchable(os.strerror(err))
        self._folders[wd] = prefix

    def _drain(self) -> bool:
        """Apply every queued event; False when only a new walk can tell what changed."""
        changed: set[str] = set()
        while True:
            try:
                data = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                break
            except OSError:
                return False
            if not data:
                break
            at = 0
            while at < len(data):
                wd, mask, _cookie, size = _EVENT.unpack_from(data, at)
                name = data[at + _EVENT.size: at + _EVENT.size + size].rstrip(b"\0")
                at += _EVENT.size + size
                if mask & _RESTART:
                    return False
                prefix = self._folders.get(wd)
                if prefix is None:
                    return False
                text = os.fsdecode(name)
                if text.startswith("."):
                    continue  # hidden files and folders are never notes, nor entered (as in scan())
                if mask & IN_ISDIR:
                    return False  # a folder created, removed or moved: walk again
                rel = prefix + text
                if note_id_for(rel) is not None:
                    changed.add(rel)
        for rel in changed:
            now = stat_note(self.root, rel)
            note_id = note_id_for(rel)
            assert note_id is not None
            if now is None:
                self._files.pop(note_id, None)
            else:
                self._files[note_id] = now
        return True


__all__ = ["NotesWatch"]
