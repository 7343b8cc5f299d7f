"""Line alignment between two versions of a file: the "one direct diff" the verdicts rest on.

Lines are compared by their whitespace-insensitive form, so a re-indented line still maps to itself
(the verdict then tells `reformatted` from `intact` by comparing the exact text). Common prefix and
suffix are stripped first (most edits are local), then difflib aligns the middle: unique-ish lines
first (autojunk on large inputs keeps it linear-ish), then each unmatched gap again without junk
heuristics so that popular lines (`}`, `return None`, blank lines) still find their partners.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher


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
    big = (bhi - blo) >= 200 and depth == 0
    sm = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=big)
    prev_a, prev_b = alo, blo
    for i, j, n in sm.get_matching_blocks():
        ai, bj = alo + i, blo + j
        if big and ai > prev_a and bj > prev_b:
            _align(a, b, prev_a, ai, prev_b, bj, a2b, depth + 1)
        for k in range(n):
            a2b[ai + k] = bj + k
        prev_a, prev_b = ai + n, bj + n


def inserted_mask(a2b: Sequence[int], b_len: int) -> list[bool]:
    """For each line of `b`, whether it has no partner in `a` (new in `b`)."""
    mask = [True] * b_len
    for j in a2b:
        if j >= 0:
            mask[j] = False
    return mask
