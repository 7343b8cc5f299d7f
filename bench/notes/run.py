"""What refusing YAML anchors, aliases and deep nesting costs when parsing notes.

`cairn.notes.yamlio.refuse_unsafe` reads each frontmatter's event stream (libyaml) before it is loaded.
This parses the same generated notes with `parse_note` twice in one run, with the check and with it
replaced by a no-op (the baseline), and prints per-note times. No repository is needed: parsing is pure.

    .venv/bin/python bench/notes/run.py [--notes 2000] [--anchors 3] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from cairn.config import Config
from cairn.notes import document, yamlio


def note_text(i: int, anchors: int) -> str:
    items = "".join(
        f"  - path: src/pkg{i % 50}/module{i}_{a}.py\n    lines: {10 * a + 1}-{10 * a + 8}\n"
        f"    commit: {'0123456789abcdef' * 2}{i:08x}\n    blob: 9c1d0e4f5a6b\n    hash: 1a2b3c4d5e6f7081\n"
        f"    ws: 9f8e7d6c5b4a3f2e\n    lh: a1b2c3 d4e5f6 a1b2c3 d4e5f6 a1b2c3 d4e5f6 a1b2c3 d4e5f6\n"
        f"    ctx: 0a1b2c 3d4e5f 6a7b8c | 9d0e1f 2a3b4c 5d6e7f\n" for a in range(anchors))
    return (f"---\ntitle: Note number {i} about the session cache\nkind: decision\ntags: [auth, cache]\n"
            f"status: active\ncreated: 2026-04-15T10:02:00Z\nreviewed: 2026-09-01T08:00:00Z\nttl: 180d\n"
            f"anchors:\n{items}---\nWe keep the cache warm because {i} callers need it.\n")


def per_note_us(texts: list[str], rounds: int) -> list[float]:
    config = Config()
    times = []
    for _ in range(rounds):
        start = time.process_time()  # CPU time: the machine is shared
        for i, text in enumerate(texts):
            document.parse_note(text, f"agent-context/decisions/n{i}.md", f"decisions/n{i}", config)
        times.append((time.process_time() - start) / len(texts) * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--anchors", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = [note_text(i, args.anchors) for i in range(args.notes)]
    ampersand = [t.replace("about the session", "about R&D of the session", 1) for t in texts]
    checks: tuple[Callable[..., None], Callable[..., None]] = (yamlio.refuse_unsafe, yamlio._check_depth)

    def baseline() -> list[float]:  # the same parse with both checks replaced by no-ops
        yamlio.refuse_unsafe = yamlio._check_depth = lambda _: None
        try:
            return per_note_us(texts, args.rounds)
        finally:
            yamlio.refuse_unsafe, yamlio._check_depth = checks

    runs: dict[str, list[float]] = {"baseline": [], "checked": [], "checked, '&' in every title": []}
    for _ in range(2):  # interleaved, so drift on a shared machine shows in both
        runs["baseline"] += baseline()
        runs["checked"] += per_note_us(texts, args.rounds)
        runs["checked, '&' in every title"] += per_note_us(ampersand, args.rounds)
    base = statistics.median(runs["baseline"])
    print(f"{args.notes} notes, {args.anchors} anchors each; parse_note, median per note over {2 * args.rounds} rounds")
    for name, values in runs.items():
        value = statistics.median(values)
        extra = "" if name == "baseline" else f"  ({(value / base - 1) * 100:+.0f}% vs baseline)"
        print(f"  {name:30s} {value:7.1f} us{extra}")


if __name__ == "__main__":
    main()
