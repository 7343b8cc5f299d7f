"""A stand-in for `claude -p` in `cairn review --run` tests: reads the prompt on stdin and edits files.

Modes (first argument):
- `edit-note`: append a line to the note named in the prompt and bump `reviewed`
- `edit-code`: that, and also edit source code and README.md
- `break-frontmatter`: remove the closing `---`; `drop-field`: remove the `tags:` line
- `move-lines` / `bad-lines`: point the first anchor at lines 7-8 / 70-80
- `commit`: edit the note and commit it; `fail`: exit 3 without touching anything
- `archive`: retire the note (`status: archived`), as the prompt says to when the code is gone
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "edit-note"
    prompt = sys.stdin.read()
    match = re.search(r"^## The note: `([^`]+)`", prompt, re.MULTILINE)
    if not match or mode == "fail":
        return 3
    note = Path(match.group(1))
    text = note.read_text(encoding="utf-8")
    if mode in ("edit-note", "edit-code", "commit"):
        text = re.sub(r"^reviewed: .*$", "reviewed: 2030-01-01T00:00:00Z", text, count=1, flags=re.MULTILINE)
        text = text.rstrip("\n") + "\n\nUpdated by the review agent: f2 now doubles.\n"
    if mode == "archive":
        text = re.sub(r"^status: .*$", "status: archived", text, count=1, flags=re.MULTILINE)
    if mode == "move-lines":
        text = re.sub(r"lines: \d+-\d+", "lines: 7-8", text, count=1)
    if mode == "bad-lines":
        text = re.sub(r"lines: \d+-\d+", "lines: 70-80", text, count=1)
    if mode == "break-frontmatter":
        lines = text.splitlines(keepends=True)
        closing = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        text = "".join(lines[:closing] + lines[closing + 1:])
    if mode == "drop-field":
        text = re.sub(r"^tags: .*\n", "", text, count=1, flags=re.MULTILINE)
    note.write_text(text, encoding="utf-8")
    if mode == "edit-code":
        app = Path("src/app.py")
        app.write_text(app.read_text(encoding="utf-8") + "# sneaky\n", encoding="utf-8")
        readme = Path("README.md")
        readme.write_text(readme.read_text(encoding="utf-8") + "agent was here\n", encoding="utf-8")
    if mode == "commit":
        import subprocess

        subprocess.run(["git", "commit", "-q", "-am", "agent commit"], check=True)
    print(f"agent: {mode} on {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
