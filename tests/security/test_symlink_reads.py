"""Issue 11 item 1: a committed symlink to an outside file never becomes an anchor's "new place".

The attack: a pull request deletes an anchored file and commits a symlink (with a plausible name) to a
file outside the repository whose text resembles the anchored code (or simply is the user's secrets).
Rename detection used to read candidate files through symlinks, so the outside file became the
anchor's new place and its content showed up in `cairn review` prompts (piped to an agent by `--run`)
and in `cairn.draftUpdate`. Every read now goes through `cairn.gitio.files`: regular files inside the
repository only, never through a symlink, and mode 120000 blobs are never file content.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.conftest import GitRepo
from tests.lsp.conftest import APP_PY, Workspace, hover_text, open_doc, start
from tests.mcp.helpers import APP, cairn, git, setup_repo_with_note

SECRET = "aws_secret_access_key = SECRET-1234567890"


def _outside_secret(repo: GitRepo, text: str) -> Path:
    """A 'home-directory credentials file' next to (outside) the repository, resembling the code."""
    home = repo.root.parent / "home" / ".aws"
    home.mkdir(parents=True, exist_ok=True)
    secret = home / "credentials"
    secret.write_text(text + f"# {SECRET}\n", encoding="utf-8")
    return secret


def _pr_replaces_file_with_symlink(repo: GitRepo, anchored: str, link: str, target: Path) -> None:
    """The pull request: delete the anchored file, commit a symlink to the outside file."""
    (repo.root / anchored).unlink()
    os.symlink(target, repo.root / link)
    repo.commit("refactor: move app")


def test_review_prompt_and_check_never_read_through_a_committed_symlink(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    secret = _outside_secret(repo, APP)
    _pr_replaces_file_with_symlink(repo, "src/app.py", "src/service.py", secret)
    assert git(repo, "ls-files", "-s", "src/service.py").stdout.startswith("120000")

    checked = json.loads(cairn(repo, "check", "--json").stdout)
    anchor = checked["notes"][0]["anchors"][0]
    assert anchor["status"] == "deleted", anchor
    assert "service.py" not in json.dumps(anchor)

    for args in (("review",), ("review", "--json"), ("affected", "--format", "json"), ("show", note_id)):
        out = cairn(repo, *args)
        assert SECRET not in out.stdout + out.stderr, args
        assert "SECRET-" not in out.stdout

    # Recording an anchor on the symlink is refused with one line, and so is recall's file read.
    added = cairn(repo, "add", "--kind", "gotcha", "--title", "t", "--anchor", "src/service.py:1-2", "--body", "b")
    assert added.returncode != 0 and "symlink" in added.stderr and len(added.stderr.strip().splitlines()) == 1
    recall = cairn(repo, "recall", "src/service.py:4")
    assert SECRET not in recall.stdout + recall.stderr


def test_check_at_a_revision_ignores_symlink_blobs(repo: GitRepo) -> None:
    """`check --rev`: a mode 120000 blob is a link target, never a file whose lines could hold the code."""
    setup_repo_with_note(repo)
    secret = _outside_secret(repo, APP)
    _pr_replaces_file_with_symlink(repo, "src/app.py", "src/service.py", secret)
    head = repo.head()
    checked = json.loads(cairn(repo, "check", "--rev", head, "--json").stdout)
    assert checked["notes"][0]["anchors"][0]["status"] == "deleted"


def test_a_symlinked_folder_is_no_place_for_an_anchor(repo: GitRepo) -> None:
    """A committed folder symlink (`src -> ~/.aws`) is not followed either."""
    setup_repo_with_note(repo)
    outside = repo.root.parent / "outside-src"
    outside.mkdir()
    (outside / "app.py").write_text(APP + f"# {SECRET}\n", encoding="utf-8")
    git(repo, "rm", "-q", "-r", "src")
    os.symlink(outside, repo.root / "src")
    repo.commit("src is a link now")
    checked = cairn(repo, "check", "--json")
    note = json.loads(checked.stdout)["notes"][0]
    # The anchor's path now leads out through a symlink: the note is reported, nothing is read.
    assert note["state"] == "invalid" and "through a symlink" in note["error"]
    for args in (("review",), ("recall", "src/app.py"), ("show", note["id"])):
        out = cairn(repo, *args)
        assert SECRET not in out.stdout + out.stderr, args


async def _run(client: LanguageClient, command: str, *args: Any) -> Any:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command,
                                                                                   arguments=list(args)))


async def test_draft_update_and_hover_never_show_a_symlinks_target(client: LanguageClient, ws: Workspace) -> None:
    note_id = ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    secret = _outside_secret(ws.repo, APP_PY)
    _pr_replaces_file_with_symlink(ws.repo, "src/app.py", "src/service.py", secret)
    await start(client, ws.root)
    draft = await _run(client, "cairn.draftUpdate", {"id": note_id})
    assert SECRET not in draft["text"] and "service.py" not in draft["text"]
    stale = await client.protocol.send_request_async("cairn/stale", {})
    assert "service.py" not in json.dumps(stale, default=str)
    # An editor that opens the link (it shows the outside file) gets no anchors or hovers from it.
    uri = ws.uri("src/service.py")
    open_doc(client, uri, secret.read_text())
    assert SECRET not in await hover_text(client, uri, 4)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert not lenses
    # The open buffer (the outside file's text) is never laid over the working tree either.
    draft = await _run(client, "cairn.draftUpdate", {"id": note_id})
    assert SECRET not in draft["text"] and "service.py" not in draft["text"]
    stale = await client.protocol.send_request_async("cairn/stale", {})
    assert "service.py" not in json.dumps(stale, default=str)
