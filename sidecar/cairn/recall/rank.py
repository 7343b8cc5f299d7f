"""Which notes matter for a place in the code, best first.

Structural tiers (a note gets its best one):

    at the line              100   an anchor covers the line (its current place, per the anchor engine)
    near the line             80   an anchor within 10 lines of it
    in the file               55   an anchor anywhere in the file
    mentions this function    30   title/body/tags name the function or class the line is in
    same directory            20   an anchor in a file next to it
    same module               12   an anchor elsewhere under the parent directory (unless more than
                                   150 notes are anchored there: then it says nothing)

plus up to 10 for mentioning the file, its module or the symbols it defines (BM25 over title, tags and
body, normalised to the best match; only 3 for a note that already has a tier) and, with a query, up to
8 for text relevance (BM25, normalised: a query match counts less than a full mention). The score is
multiplied by the freshness factor (`cairn.recall.freshness`: fresh 0.8-1, expired 0.35-0.65, stale x 0.5).

Notes are ordered by `rank_key`: the tier first, strictly (a stale note anchored at the line comes
before a fresh one elsewhere in the file: freshness marks it and orders it among its peers, it never
demotes it across tiers); within a tier, notes whose title names the query's words come first (the
share of the query's terms in the title, after stemming), then the score. The one refinement of the
location order: a note that names the very function being edited ranks above notes that merely share
its directory.

Judging anchors costs more than scoring, so candidates are first ranked by an optimistic score (dates
only, anchors assumed intact) and judged in batches, best first, until no unjudged candidate could still
make it into the pack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from cairn.index.fields import IndexDoc, definitions

AT_LINE, NEAR_LINE, IN_FILE, SYMBOL_HERE, SAME_DIR, SAME_MODULE = 100.0, 80.0, 55.0, 30.0, 20.0, 12.0
MENTION_WEIGHT = 10.0
MENTION_WEIGHT_ANCHORED = 3.0
QUERY_WEIGHT = 8.0
NEAR_LINES = 10
MAX_SYMBOLS = 40
_GENERIC_STEMS = {"index", "main", "init", "__init__", "utils", "util", "helpers", "common", "base", "types",
                  "mod", "lib", "app", "test", "tests", "conftest", "setup", "config", "settings"}


@dataclass(eq=False, repr=False)
class Candidate:
    doc: IndexDoc
    tier: float = 0.0
    reason: str = ""
    mention: float = 0.0  # 0..1
    relevance: float = 0.0  # 0..1

    def base(self) -> float:
        # A note already anchored nearby gains little from also mentioning the file's names.
        mention = MENTION_WEIGHT if self.tier < SAME_MODULE else MENTION_WEIGHT_ANCHORED
        return self.tier + mention * self.mention + QUERY_WEIGHT * self.relevance


def rank_key(tier: float, title_hit: float, score: float) -> tuple[float, float, float]:
    """Sort key, larger first: tier, then the query's share in the title, then the score."""
    return tier, title_hit, score


def title_hit(query_terms: frozenset[str], title: str) -> float:
    """Which share of the query's (stemmed) terms the title holds: 0 without a query."""
    if not query_terms:
        return 0.0
    from cairn.index.query import terms

    return len(query_terms & terms(title)) / len(query_terms)


def line_tier(doc_anchors: list[tuple[str, int, int]], path: str, line: int | None) -> tuple[float, str]:
    """The best structural tier of a note's anchors for `path[:line]`."""
    best, reason = 0.0, ""
    folder = _dirname(path)
    parent = _dirname(folder)
    for a_path, start, end in doc_anchors:
        if a_path == path:
            if line is not None and start <= line <= end:
                tier, why = AT_LINE, "anchored at this line"
            elif line is not None and start - NEAR_LINES <= line <= end + NEAR_LINES:
                tier, why = NEAR_LINE, "anchored next to this line"
            else:
                tier, why = IN_FILE, "anchored in this file"
        elif _dirname(a_path) == folder:
            tier, why = SAME_DIR, "anchored in this directory"
        elif parent != "." and a_path.startswith(parent + "/"):
            tier, why = SAME_MODULE, "anchored in this module"
        else:
            continue
        if tier > best:
            best, reason = tier, why
    return best, reason


def _dirname(path: str) -> str:
    head, _, _ = path.rpartition("/")
    return head or "."


def mention_words(path: str, text: str | None) -> list[str]:
    """What a note would say to mention this file: its name, module path, and the symbols it defines."""
    pure = PurePosixPath(path)
    words = [pure.name]
    stem = pure.stem
    if stem.lower() not in _GENERIC_STEMS and len(stem) >= 3:
        words.append(stem)
    module_parts = [p for p in pure.with_suffix("").parts if p not in ("src", "lib", "app", "pkg", "internal")]
    if len(module_parts) >= 2:
        words.append(".".join(module_parts[-2:]))
    if text:
        symbols = [s for s in definitions(text) if len(s) >= 4 and not s.startswith("__")]
        words.extend(symbols[:MAX_SYMBOLS])
    return words


_QUOTE = re.compile(r'["]')


def query_text(query: str) -> str:
    """A recall query is plain text: quotes balanced away so it can never be a syntax error."""
    text = _QUOTE.sub(" ", query)
    return " ".join(w for w in text.split() if not w.endswith(":") and w not in ("-", "+", "*", "NOT"))
