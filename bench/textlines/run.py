"""What splitting lines at \\n, \\r\\n and \\r only (`cairn.textlines.split_lines`) costs over `str.splitlines`.

`split_lines` checks for the eight characters `str.splitlines` also breaks at and, when there are none
(nearly always), returns `str.splitlines`' answer. This times, in one run and interleaved (CPU time,
the machine is shared): the split alone on plain ASCII notes, on notes with non-ASCII text (an em dash:
the path a regex check would make slow), and on notes holding a U+2028 (the slow, correct path); then
`parse_note` on the notes bench's generated notes with `notes.document` using `split_lines` and, as the
baseline, the old `str.splitlines`.

    .venv/bin/python bench/textlines/run.py [--notes 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from cairn.config import Config
from cairn.notes import document
from cairn.textlines import split_lines


def _notes_bench_texts(count: int) -> list[str]:
    """The notes bench's generated notes (bench/notes/run.py), so the two benches parse the same text."""
    spec = importlib.util.spec_from_file_location("bench_notes_run", Path(__file__).parent.parent / "notes" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [module.note_text(i, 3) for i in range(count)]


def _old_split_lines(text: str, keepends: bool = False) -> list[str]:
    return text.splitlines(keepends)


def per_text_us(fn: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for text in texts:
            fn(text)
        times.append((time.process_time() - start) / len(texts) * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = _notes_bench_texts(args.notes)
    dashed = [t.replace(" because ", " \u2014 because ", 1) for t in texts]
    separated = [t.replace(" because ", " \u2028because ", 1) for t in texts]
    config = Config()

    def parse_all(items: list[str]) -> Callable[[str], object]:
        names = iter(range(len(items) * args.rounds * 4))
        return lambda text: document.parse_note(text, "agent-context/decisions/n.md", f"decisions/n{next(names)}",
                                                config)

    runs: dict[str, list[float]] = {}

    def add(name: str, values: list[float]) -> None:
        runs.setdefault(name, []).extend(values)

    for _ in range(2):  # interleaved, so drift on a shared machine shows in every row
        add("split: str.splitlines, ASCII", per_text_us(str.splitlines, texts, args.rounds))
        add("split: split_lines, ASCII", per_text_us(split_lines, texts, args.rounds))
        add("split: str.splitlines, em dash", per_text_us(str.splitlines, dashed, args.rounds))
        add("split: split_lines, em dash", per_text_us(split_lines, dashed, args.rounds))
        add("split: split_lines, a U+2028", per_text_us(split_lines, separated, args.rounds))
        document.split_lines = _old_split_lines  # the baseline: notes.document as it was
        try:
            add("parse_note, str.splitlines", per_text_us(parse_all(texts), texts, args.rounds))
        finally:
            document.split_lines = split_lines
        add("parse_note, split_lines", per_text_us(parse_all(texts), texts, args.rounds))
    print(f"{args.notes} notes ({len(texts[0])} characters each), median CPU per note over {2 * args.rounds} rounds")
    for name, values in runs.items():
        print(f"  {name:34s} {statistics.median(values):8.2f} us")


if __name__ == "__main__":
    main()
