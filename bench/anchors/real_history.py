"""Real histories: cairn's verdicts and ranges against git's own diff, for anchors recorded in the past.

    .venv/bin/python bench/anchors/real_history.py CLONE COMMITS_BACK ANCHORS [myers|histogram]

Records ANCHORS random anchors (1-12 lines) at the first-parent commit COMMITS_BACK before HEAD of the
clone, judges them against the working tree (HEAD), and compares with `git diff -U0 -M <then> HEAD`:
where git's diff leaves every anchored line untouched, cairn must say fresh at exactly the range the
diff maps to. Where the diff touches the lines, cairn may say stale, reformatted (whitespace-only
touches) or moved (sliding or reordered lines, code moved to another file); those are counted only.

Relocations to another file (issue 10 §5) are checked against history by plain git: a move is
plausible only if some commit since then changed both the file the anchor was recorded in and the
file it was "moved" to (`git log --follow` lineage of each); a move between files never changed
together is counted as a move onto somebody else's code (boilerplate: `})`, a repeated block added
later elsewhere). Short (1-2 line) relocations are counted separately; examples are printed.
"""

from __future__ import annotations

import collections
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sidecar"))

from cairn.anchors.engine import Checker
from cairn.anchors.record import anchor_mapping
from cairn.anchors.text import split_lines
from cairn.gitio import forget_repo
from cairn.notes.model import Anchor
from cairn.workspace import Workspace

SUFFIXES = (".py", ".md", ".rst", ".toml", ".txt", ".js", ".ts", ".go", ".rs", ".c", ".h")
HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def main() -> int:
    repo, back, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    algo = sys.argv[4] if len(sys.argv) > 4 else "myers"

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True).stdout

    head = git("rev-parse", "HEAD").strip()
    then = git("rev-list", "--first-parent", "HEAD").split()[back]
    files = [p for p in git("ls-tree", "-r", "--name-only", then).split("\n") if p.endswith(SUFFIXES)]
    rng = random.Random(2)
    anchors = []
    for _ in range(count):
        path = rng.choice(files)
        text = git("show", f"{then}:{path}")
        lines = split_lines(text)
        nonblank = [i for i, line in enumerate(lines) if line.strip()]
        if not nonblank:
            continue
        a = rng.choice(nonblank)
        b = min(len(lines) - 1, a + rng.choice([1, 2, 3, 5, 8, 12]) - 1)
        while b > a and not lines[b].strip():
            b -= 1
        data = anchor_mapping(path, a + 1, b + 1, then, lines, text.encode())
        anchors.append(Anchor(path, a + 1, b + 1, then, data))
    forget_repo(repo)
    with Checker(Workspace.at(repo), use_cache=False) as checker:
        verdicts = checker.verdicts(anchors)

    files_map: dict[str, list[Any]] = {}
    current: list[Any] | None = None
    for line in git("diff", "-U0", "-M", f"--diff-algorithm={algo}", then, head).splitlines():
        if line.startswith("diff --git"):
            m = re.match(r"diff --git a/(.*) b/(.*)", line)
            if m is None:  # a quoted name (non-ASCII, spaces): not among the anchored files' suffixes
                current = None
                continue
            current = [m.group(1), m.group(2), []]
            files_map[current[0]] = current
        elif line.startswith("deleted file") and current is not None:
            current[1] = None
        elif line.startswith("@@") and current is not None:
            h = HUNK.match(line)
            assert h is not None
            current[2].append((int(h.group(1)), int(h.group(2) or 1), int(h.group(3)), int(h.group(4) or 1)))

    def git_map(anchor: Anchor) -> tuple[Any, ...]:
        entry = files_map.get(anchor.path)
        if entry is None:
            return ("same", anchor.path, anchor.start, anchor.end)
        _, new_path, hunks = entry
        if new_path is None:
            return ("gone",)
        delta = 0
        for old_start, old_len, _new_start, new_len in hunks:
            last = old_start if old_len == 0 else old_start + old_len - 1
            if old_len == 0:
                if anchor.start <= old_start < anchor.end:
                    return ("touched",)
                if old_start < anchor.start:
                    delta += new_len
            else:
                if old_start <= anchor.end and last >= anchor.start:
                    return ("touched",)
                if last < anchor.start:
                    delta += new_len - old_len
        return ("same", new_path, anchor.start + delta, anchor.end + delta)

    commits_of: dict[str, set[str]] = {}

    def touched(path: str) -> set[str]:
        """Commits since `then` that changed `path` (following renames)."""
        if path not in commits_of:
            out = git("log", "--format=%H", "--follow", f"{then}..{head}", "--", path)
            commits_of[path] = set(out.split())
        return commits_of[path]

    counts: collections.Counter[str] = collections.Counter()
    rows = []
    onto: list[tuple[Any, ...]] = []
    for v in verdicts:
        place = v.current if v.fresh else v.best
        if place is None or place[0] == v.anchor.path:
            continue
        together = bool(touched(v.anchor.path) & touched(place[0]))
        size = "1-2 lines" if v.anchor.end - v.anchor.start < 2 else "3+ lines"
        kind = f"fresh {v.status}" if v.fresh else "stale, shown in"
        counts[f"other file ({kind}, {size}): " + ("changed together" if together
                                                     else "NEVER changed together (boilerplate)")] += 1
        if not together:
            text = git("show", f"{then}:{v.anchor.path}").split("\n")[v.anchor.start - 1:v.anchor.end]
            onto.append((v.anchor.label(), v.status, place, " / ".join(t.strip() for t in text)[:80]))
    for v in verdicts:
        g = git_map(v.anchor)
        if g[0] == "same":
            if v.fresh and v.current == (g[1], g[2], g[3]):
                counts["untouched by git: cairn fresh at the same range"] += 1
            else:
                counts["untouched by git: cairn DISAGREES"] += 1
                rows.append((v.anchor.label(), v.status, v.current, g))
        else:
            counts[f"git {g[0]}: cairn {'fresh ' + v.status if v.fresh else 'stale'}"] += 1
    print(f"{repo.name} @ {then[:10]} ({back} first-parent commits back), {len(verdicts)} anchors")
    for key, n in sorted(counts.items()):
        print(f"  {n:5}  {key}")
    for row in rows[:15]:
        print("  ", row)
    for row in onto[:10]:
        print("   onto:", row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
