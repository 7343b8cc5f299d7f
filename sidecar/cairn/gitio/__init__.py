"""The only place Cairn talks to git (see repo.py)."""

from cairn.gitio.repo import FileChange, GitRepo, Hunk, LogCommit, blob_id, forget_repo, open_repo, parse_log

__all__ = ["FileChange", "GitRepo", "Hunk", "LogCommit", "blob_id", "forget_repo", "open_repo", "parse_log"]
