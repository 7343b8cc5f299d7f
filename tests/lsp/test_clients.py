"""What editors other than VS Code need: documents shown to them, position encodings, file watchers.

Each test announces the recorded capabilities of a real client (pytest-lsp ships them) and checks what
the server does with them; the VS Code extension is the client that says `opensDocuments: true`.
"""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from cairn.server.convert import to_plain

from .conftest import (
    Workspace,
    codes,
    columns,
    hover_text,
    open_doc,
    start,
    wait_diagnostics,
    wait_registrations,
)

EXTENSION = {"opensDocuments": True}  # what the VS Code extension announces


async def run(client: LanguageClient, command: str, *args: Any) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command,
                                                                                     arguments=list(args)))
    plain = to_plain(result)
    assert isinstance(plain, dict), result
    return plain


@pytest.mark.parametrize(("client_spec", "options", "shows"), [
    ("neovim", None, True),                     # Neovim 0.11: window.showDocument.support
    ("emacs", None, False),                     # eglot 29 does not advertise it
    ("neovim@v0.7.0", None, False),             # Debian bookworm's Neovim: support false
    ("visual-studio-code", EXTENSION, False),   # our extension opens what the command returns
])
async def test_open_note_and_draft_reach_every_client(client: LanguageClient, ws: Workspace, client_spec: str,
                                                      options: dict[str, Any] | None, shows: bool) -> None:
    note_id = ws.note("About f2", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    ws.repo.write("src/app.py", ws.repo.read("src/app.py").replace("return x + 2", "return x + 20"))
    ws.repo.commit("Bump f2")
    await start(client, ws.root, options, caps=client_capabilities(client_spec))
    note_uri = ws.note_path(note_id).as_uri()

    opened = await run(client, "cairn.openNote", {"id": note_id})
    assert opened["uri"] == note_uri  # every client still gets the uri back
    if shows:
        assert [(d.uri, d.take_focus) for d in client.shown_documents] == [(note_uri, True)]
    else:
        assert client.shown_documents == []

    draft = await run(client, "cairn.draftUpdate", {"id": note_id})
    assert "About f2" in draft["text"] and "return x + 20" in draft["text"]
    drafts = ws.root / ".git" / "cairn" / "drafts"
    if options == EXTENSION:
        assert set(draft) == {"text"} and not drafts.exists()  # the extension shows the text itself
        return
    path = drafts / f"{note_id}.md"
    assert draft["path"] == str(path) and draft["uri"] == path.as_uri()
    assert path.read_text(encoding="utf-8") == draft["text"]
    assert ws.repo.git("status", "--porcelain") == ""  # under the git dir: never committed, tree clean
    if shows:
        assert client.shown_documents[-1].uri == path.as_uri()
    else:
        assert client.shown_documents == []
    # The next draft replaces the file (atomically), it does not pile up copies.
    await run(client, "cairn.draftUpdate", {"id": note_id})
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


CAFE = 'café = "🙂"  # ☕ naïve\nresult = café * 2\n'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
async def test_columns_follow_the_negotiated_position_encoding(client: LanguageClient, ws: Workspace,
                                                               encoding: str) -> None:
    ws.repo.write("src/café.py", CAFE)
    ws.repo.commit("café")
    note_id = ws.note("The café constant", [("src/café.py", 1, 1)])
    ws.repo.commit("note")
    caps = client_capabilities("visual-studio-code")
    caps.general = types.GeneralClientCapabilities(position_encodings=[encoding])
    result = await start(client, ws.root, caps=caps)
    assert result.capabilities.position_encoding == encoding
    uri = ws.uri("src/café.py")
    line = CAFE.splitlines()[0]
    after_emoji = columns('café = "🙂', encoding)
    open_doc(client, uri, CAFE)

    # Hover and code actions at a column past the non-ASCII text, in this encoding's units.
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=after_emoji)))
    assert hover is not None and "The café constant" in str(hover.contents)
    whole_line = types.Range(start=types.Position(line=0, character=0),
                             end=types.Position(line=0, character=columns(line, encoding)))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=whole_line,
        context=types.CodeActionContext(diagnostics=[])))
    assert "Open note" in [a.title for a in actions or []]
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [(lens.range.start.line, lens.range.start.character) for lens in lenses or []] == [(0, 0)]

    # An incremental edit right after the emoji (pygls applies it with the same encoding): the line
    # changes, the note goes stale, and the diagnostic ends at the end of the line in these units.
    at = types.Position(line=0, character=after_emoji)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="🙂")]))
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    edited = line.replace("🙂", "🙂🙂")
    assert (diags[0].range.start.line, diags[0].range.start.character) == (0, 0)
    assert (diags[0].range.end.line, diags[0].range.end.character) == (0, columns(edited, encoding))
    # Deleting exactly that emoji (its width in this encoding) restores the committed text: fresh again.
    end = types.Position(line=0, character=after_emoji + columns("🙂", encoding))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=at, end=end), text="")]))
    await wait_diagnostics(client, uri, lambda d: codes(d) == [])
    assert "The café constant" in await hover_text(client, uri, 1)

    # Document links in the note: the path's columns after the non-ASCII file name.
    note = ws.note_path(note_id)
    text = note.read_text(encoding="utf-8")
    open_doc(client, note.as_uri(), text, language="markdown")
    links = await client.text_document_document_link_async(types.DocumentLinkParams(
        text_document=types.TextDocumentIdentifier(uri=note.as_uri())))
    lines = text.splitlines()
    path_link = next(link for link in links or [] if "path" in lines[link.range.start.line])
    path_line = lines[path_link.range.start.line]
    begin = path_line.index("src/café.py")
    assert path_link.range.start.character == columns(path_line[:begin], encoding)
    assert path_link.range.end.character == columns(path_line[:begin] + "src/café.py", encoding)


def _patterns(registration: types.Registration) -> list[str]:
    options = registration.register_options
    watchers = options.watchers if isinstance(options, types.DidChangeWatchedFilesRegistrationOptions) \
        else options["watchers"]  # type: ignore[index]
    out = []
    for w in watchers:
        glob = w.glob_pattern if hasattr(w, "glob_pattern") else w["globPattern"]
        if isinstance(glob, str):
            out.append(glob)
        elif isinstance(glob, dict):
            out.append(f"{glob['baseUri']}|{glob['pattern']}")
        else:
            base = glob.base_uri if isinstance(glob.base_uri, str) else glob.base_uri.uri
            out.append(f"{base}|{glob.pattern}")
    return out


@pytest.mark.parametrize("relative", [False, True])
async def test_file_watcher_registration_names_only_what_cairn_needs(client: LanguageClient, ws: Workspace,
                                                                     relative: bool) -> None:
    ws.repo.write("src/other.py", "X = 1\n")
    ws.repo.write("src/[id].py", "Y = 2\n")  # glob syntax in a file name is escaped
    ws.repo.commit("more code")
    ws.note("About f2", [("src/app.py", 4, 5)])
    ws.note("Route", [("src/[id].py", 1, 1)])
    ws.repo.commit("notes")
    caps = client_capabilities("visual-studio-code")
    assert caps.workspace and caps.workspace.did_change_watched_files
    caps.workspace.did_change_watched_files.relative_pattern_support = relative
    await start(client, ws.root, caps=caps)
    watched = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    await wait_registrations(client, lambda: any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
                                                 for r in client.registrations), what="the file watcher")
    watched = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert len(watched) == 1
    root, git = ws.root.as_uri(), (ws.root / ".git").as_uri()
    if relative:
        expected = {f"{root}|agent-context/**/*.md", f"{root}|agent-context/config.toml", f"{root}|src/app.py",
                    f"{root}|src/[[]id[]].py", f"{git}|refs/**", f"{git}|HEAD", f"{git}|index"}
    else:
        expected = {"**/agent-context/**/*.md", "**/agent-context/config.toml", "**/src/app.py",
                    "**/src/[[]id[]].py", "**/.git/refs/**", "**/.git/HEAD", "**/.git/index"}
    first = _patterns(watched[0])
    assert expected <= set(first), first
    assert not [p for p in first if p.endswith("**/*") or "other.py" in p]

    # A note anchored to another file: the registration is replaced by one that includes it.
    ws.note("Other", [("src/other.py", 1, 1)])

    def replaced() -> bool:
        regs = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
        return len(regs) == 2 and [u.id for u in client.unregistrations] == [regs[0].id]

    await wait_registrations(client, replaced, what="a registration with src/other.py")
    second = _patterns(client.registrations[-1])
    assert any(p.endswith("src/other.py") for p in second) and expected <= set(second)


# U+2028 is a line break to `str.splitlines` but not to LSP (only \n, \r\n and \r end a line): a file
# holding one must keep its lines where the editor has them.
SEPARATOR = 'S = "a\u2028b"\ndef f():\n    return 1234567\n'


async def test_a_unicode_line_separator_does_not_shift_the_lines(client: LanguageClient, ws: Workspace) -> None:
    ws.repo.write("src/sep.py", SEPARATOR)
    ws.repo.commit("sep")
    ws.note("The return value", [("src/sep.py", 3, 3)])
    ws.repo.commit("note")
    await start(client, ws.root, caps=client_capabilities("neovim"))
    uri = ws.uri("src/sep.py")
    edited = SEPARATOR.replace("1234567", "12345678")
    open_doc(client, uri, edited)
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    third = "    return 12345678"
    assert (diags[0].range.start.line, diags[0].range.start.character) == (2, 0)
    assert (diags[0].range.end.line, diags[0].range.end.character) == (2, columns(third, "utf-16"))
