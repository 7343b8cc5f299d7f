"""Line alignment between two versions of a file: the "one direct diff" the verdicts rest on.

Lines are compared by their whitespace-insensitive form, so a re-indented line still maps to itself
(the verdict then tells `reformatted` from `intact` by comparing the exact text). The strategy is
git's patience/histogram idea: common prefix and suffix are taken first, then lines that occur exactly
once on both sides anchor the alignment (their longest increasing run), and each gap between anchors
is aligned the same way, recursively; a gap without such lines falls back to difflib. Anchoring on
unique lines is what keeps a block mapped to its own place when a copy of it was added elsewhere
(difflib alone prefers the longest run, which may be the copy).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from difflib import SequenceMatcher

MAX_DEPTH = 64


def align(a: Sequence[str], b: Sequence[str]) -> list[int]:
    """For each line of `a`, the index of its partner in `b`, or -1 (deleted/changed). 0-based."""
    a2b = [-1] * len(a)
    _align(a, b, 0, len(a), 0, len(b), a2b, 0)
    return a2b


def _align(a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int, a2b: list[int],
           depth: int) -> None:
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        a2b[alo] = blo
        alo += 1
        blo += 1
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
        a2b[ahi - 1] = bhi - 1
        ahi -= 1
        bhi -= 1
    if alo >= ahi or blo >= bhi:
        return
    anchors = _unique_anchors(a, b, alo, ahi, blo, bhi) if depth < MAX_DEPTH else []
    if not anchors:
        _difflib(a, b, alo, ahi, blo, bhi, a2b)
        return
    prev_a, prev_b = alo, blo
    for i, j in anchors:
        if i < prev_a or j < prev_b:
            continue
        _align(a, b, prev_a, i, prev_b, j, a2b, depth + 1)
        a2b[i] = j
        prev_a, prev_b = i + 1, j + 1
    _align(a, b, prev_a, ahi, prev_b, bhi, a2b, depth + 1)


def _unique_anchors(a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int,
                    bhi: int) -> list[tuple[int, int]]:
    """Pairs of lines unique on both sides (blank lines excluded), longest run increasing in both."""
    count_a: dict[str, int] = {}
    for i in range(alo, ahi):
        if a[i]:
            count_a[a[i]] = count_a.get(a[i], 0) + 1
    where_b: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for j in range(blo, bhi):
        line = b[j]
        if line and count_a.get(line) == 1:
            count_b[line] = count_b.get(line, 0) + 1
            where_b[line] = j
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi)
             if a[i] and count_a.get(a[i]) == 1 and count_b.get(a[i]) == 1]
    if not pairs:
        return []
    # Longest increasing subsequence by b index (patience sorting).
    tails: list[int] = []
    tails_idx: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tails_idx.append(k)
        else:
            tails[pos] = j
            tails_idx[pos] = k
        back[k] = tails_idx[pos - 1] if pos > 0 else -1
    out = []
    k = tails_idx[-1]
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    return out[::-1]


def _difflib(a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int, a2b: list[int]) -> None:
    big = (bhi - blo) >= 200
    sm = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=big)
    prev_a, prev_b = alo, blo
    for i, j, n in sm.get_matching_blocks():
        ai, bj = alo + i, blo + j
        if big and ai > prev_a and bj > prev_b:
            small = SequenceMatcher(None, a[prev_a:ai], b[prev_b:bj], autojunk=False)
            for x, y, m in small.get_matching_blocks():
                for k in range(m):
                    a2b[prev_a + x + k] = prev_b + y + k
        for k in range(n):
            a2b[ai + k] = bj + k
        prev_a, prev_b = ai + n, bj + n
