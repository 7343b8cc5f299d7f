"""Token counting for context packs: a documented estimate, no tokenizer dependency.

Rule: every run of ASCII letters and digits counts one token per started four characters
(`ceil(len / 4)`), and every other non-space character (punctuation, symbols, each non-ASCII character)
counts one token; whitespace is free. For English and code this errs high against BPE tokenizers (they
mostly spend one token on a common word, we spend two on any word of five letters or more), so a pack
that fits this count fits a real model's count too: the budget is a ceiling we would rather undershoot.
Text in other scripts counts one token per character, roughly what BPE tokenizers spend on it.

Counts are additive over pieces joined by whitespace (a word never spans two pieces), which is what
lets the packer add sections one by one and know the total without recounting.
"""

from __future__ import annotations

import re

_RUN = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]")


def count_tokens(text: str) -> int:
    """The estimated number of tokens in `text` (see the module docstring for the rule)."""
    return sum((len(run) + 3) // 4 for run in _RUN.findall(text))
