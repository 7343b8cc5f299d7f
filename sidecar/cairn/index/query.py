"""The search query language, compiled to Tantivy queries.

    session expiry            words: any may match, BM25 ranks notes that match more (and rarer) words first
    "refresh token"           a phrase: the words next to each other, required
    +jwt -cookie              a required word, an excluded word (NOT word works too)
    sess*                     a prefix; the last word of a query also matches as a prefix (search-as-you-type)
    kind:decision tag:auth    filters (required): kind, tag, status, and path (a prefix of an anchored path)
    path:src/auth status:active kind:"decision"

Words of five letters or more that no note contains also match with one typo (`sesion` finds
`session`), at a lower weight than an exact word; the last word of a query that no note contains also
matches as a prefix. A word some note contains is matched as it is: in a question of ten words,
typo and prefix variants of real words (`where` → `there`) would only add noise. A query that cannot
be read (an unclosed quote, an unknown filter, a filter without a value, nothing to search for) raises
`QueryError` with a one-line explanation.

We parse the query ourselves instead of using Tantivy's parser: its syntax errors are hard to explain in
one line, it cannot restrict fuzziness to longer words, and `path:` needs prefix semantics on raw paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import UsageError
from cairn.index.fields import FIELD_BOOSTS, TEXT_FIELDS

FILTERS = ("kind", "tag", "path", "status")
FUZZY_MIN_LENGTH = 5
_FUZZY_WEIGHT = 1.0  # fuzzy and prefix matches score a constant (times this), below a real BM25 match
_PREFIX_WEIGHT = 1.5
_PROXIMITY_WEIGHT = 1.5
_CLAUSE = re.compile(r'([+-]?)(?:([A-Za-z_]+):)?(?:"([^"]*)("?)|([^\s"]*))')
_REGEX_META = set("\\.+*?()|[]{}^$#&-~")


TOKENIZER = "cairn_en"
RAW_TOKENIZER = "cairn_raw"
RAW_FIELD = "words"  # every word of title, tags, body, identifiers and paths, lowercased, unstemmed


# Words that make a query a question (agents and people ask "why do we ..."), not what it is about.
# Dropped like stop words, from notes and queries alike (changing this list needs FORMAT_VERSION + 1).
QUESTION_WORDS = ("why", "how", "what", "which", "where", "when", "who", "do", "does", "did", "we", "our", "us",
                  "should", "can", "i", "you")


def analyzer(tantivy: Any, stem: bool = True) -> Any:
    """Text analysis of the index and of queries: split on non-alphanumerics, drop tokens over 40
    characters, lowercase, drop English stop words and question words, English (Porter) stem."""
    builder = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
               .filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase()))
    if stem:
        builder = (builder.filter(tantivy.Filter.stopword("english"))
                   .filter(tantivy.Filter.custom_stopword(list(QUESTION_WORDS)))
                   .filter(tantivy.Filter.stemmer("english")))
    return builder.build()


_ANALYZER: list[Any] = []


def terms(text: str) -> frozenset[str]:
    """The index terms of `text` (the same analysis as the text fields: stemmed, no stop words)."""
    if not _ANALYZER:
        import tantivy

        _ANALYZER.append(analyzer(tantivy))
    return frozenset(_ANALYZER[0].analyze(text))


class QueryError(UsageError):
    """A search query that cannot be read; the message says what is wrong in one line."""


@dataclass(eq=False)
class Clause:
    occur: str  # should | must | must_not
    field: str | None  # a filter name, or None for text
    text: str
    phrase: bool = False
    prefix: bool = False  # `sess*`: match as a prefix only
    also_prefix: bool = False  # the last word of a query: exact/fuzzy, and as a prefix


@dataclass(eq=False)
class ParsedQuery:
    clauses: list[Clause] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # plain words, for snippets

    def is_empty(self) -> bool:
        return not self.clauses


def _regex_escape(text: str) -> str:
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


def parse(query: str, implicit_prefix: bool = True) -> ParsedQuery:
    """Split a query into clauses; raises QueryError on anything it cannot read."""
    out = ParsedQuery()
    pos = 0
    text = query.strip()
    negate_next = False
    if not text:
        raise QueryError("empty query: give words to search for, or a filter such as kind:decision")
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        match = _CLAUSE.match(text, pos)
        if match is None or match.end() == pos:  # pragma: no cover - the pattern always consumes a char
            raise QueryError(f"cannot read the query at {text[pos:pos + 20]!r}")
        sign, name, quoted, closing, bare = match.groups()
        pos = match.end()
        if quoted is not None and not closing:
            raise QueryError(f"unclosed quote in the query: {text[match.start():][:40]!r} (add the closing \")")
        value = quoted if quoted is not None else (bare or "")
        if name is not None and name.lower() not in FILTERS:
            if name.islower() and value:
                raise QueryError(f"unknown filter {name}: (filters are {', '.join(f + ':' for f in FILTERS)})")
            # `TODO:` or `Note:` in prose: a word, not a filter.
            value = f"{name}:{value}" if quoted is None else name + " " + value
            name = None
        if name is not None and not value.strip():
            raise QueryError(f"filter {name.lower()}: needs a value, e.g. {name.lower()}:{_example(name.lower())}")
        if quoted is None and name is None and value in ("AND", "OR", "&&", "||"):
            continue
        if quoted is None and name is None and value == "NOT":
            negate_next = True
            continue
        if name is None and quoted is None and value.strip("*+-") == "":
            if value or sign:
                raise QueryError(f"{(sign + value) or 'a sign'} alone is not a query term (write e.g. sess* or -word)")
            continue
        if name is None and not any(ch.isalnum() for ch in value):
            # `(((`, `?`, `"..."`: punctuation, which the index splits words on and never holds. Ordinary
            # prose around words (`!!! sessions`, `c++`, `what's`) still searches for its words; a query
            # of nothing else is "nothing to search for" below, never every note.
            continue
        occur = "must_not" if sign == "-" or negate_next else ("must" if sign == "+" else "should")
        negate_next = False
        if name is not None:
            out.clauses.append(Clause("must" if occur != "must_not" else "must_not", name.lower(), value.strip()))
            continue
        if quoted is not None:
            if not value.strip():
                continue
            out.clauses.append(Clause("must" if occur != "must_not" else "must_not", None, value, phrase=True))
            continue
        prefix = value.endswith("*")
        word = value.rstrip("*")
        if "*" in word:
            raise QueryError(f"{value!r}: '*' is only allowed at the end of a word (a prefix, like sess*)")
        out.clauses.append(Clause(occur, None, word, prefix=prefix))
        out.words.append(word)
    if negate_next:
        raise QueryError("NOT at the end of the query: NOT needs a word after it")
    if not out.clauses:
        raise QueryError("nothing to search for: the query holds no words (only signs or punctuation)")
    if implicit_prefix:
        last = out.clauses[-1]
        if last.field is None and not last.phrase and last.occur == "should" and len(last.text) >= 3 \
                and query.rstrip() == query:
            last.also_prefix = True
    return out


def _example(name: str) -> str:
    return {"kind": "decision", "tag": "auth", "path": "src/auth", "status": "active"}.get(name, "value")


def _always_unknown(word: str) -> bool:
    return False


class Compiler:
    """Turns a ParsedQuery into a tantivy Query for one index schema. `known(word)` says whether some
    note holds the (lowercased, unstemmed) word; only unknown words get typo and prefix variants."""

    def __init__(self, tantivy: Any, schema: Any, known: Callable[[str], bool] = _always_unknown) -> None:
        self.t = tantivy
        self.schema = schema
        self.analyzer = analyzer(tantivy)
        self.lowercaser = analyzer(tantivy, stem=False)
        self.known = known

    def analyze(self, text: str) -> list[str]:
        return list(self.analyzer.analyze(text))

    def positioned(self, text: str) -> list[tuple[int, str]]:
        """(position, term) pairs: positions count the stop words the index also skipped, so a phrase
        like `amount_in_cents` matches `amount in cents` in the index."""
        out = []
        for position, word in enumerate(self.lowercaser.analyze(text)):
            terms = self.analyzer.analyze(word)
            if terms:
                out.append((position, terms[0]))
        return out

    def phrase(self, field: str, text: str, slop: int = 0) -> Any:
        """A phrase query on `field` for `text` (a term query when it is one word)."""
        terms = self.positioned(text)
        if len(terms) == 1:
            return self.t.Query.term_query(self.schema, field, terms[0][1])
        return self.t.Query.phrase_query(self.schema, field, terms, slop=slop)

    # ---- text clauses ------------------------------------------------------------------------
    def _boosted(self, query: Any, boost: float) -> Any:
        return query if boost == 1.0 else self.t.Query.boost_query(query, boost)

    def _word(self, clause: Clause) -> Any | None:
        Q, Occur = self.t.Query, self.t.Occur
        tokens = self.analyze(clause.text)
        alternatives: list[Any] = []
        if len(tokens) > 1:
            # `refresh_token`, `session.py`: the parts next to each other.
            for name in TEXT_FIELDS:
                alternatives.append(self._boosted(self.phrase(name, clause.text), FIELD_BOOSTS[name]))
        elif len(tokens) == 1:
            token = tokens[0]
            for name in TEXT_FIELDS:
                alternatives.append(self._boosted(Q.term_query(self.schema, name, token), FIELD_BOOSTS[name]))
            raw = list(self.lowercaser.analyze(clause.text))
            letters = sum(c.isalpha() for c in clause.text)
            # Typos are matched against the unstemmed words (`exponentail` is one transposition from
            # `exponential`, but far from its stem `exponenti`); only words of five letters or more.
            if letters >= FUZZY_MIN_LENGTH and len(raw) == 1 and not clause.prefix and not self.known(raw[0]):
                fuzzy = Q.fuzzy_term_query(self.schema, RAW_FIELD, raw[0], distance=1, transposition_cost_one=True)
                alternatives.append(self._boosted(fuzzy, _FUZZY_WEIGHT))
        if clause.prefix or clause.also_prefix:
            raw = list(self.lowercaser.analyze(clause.text))
            if raw and (clause.prefix or not self.known(raw[-1])):
                pq = Q.fuzzy_term_query(self.schema, RAW_FIELD, raw[-1], distance=0, prefix=True)
                alternatives.append(self._boosted(pq, _PREFIX_WEIGHT))
        if not alternatives:
            return None
        return Q.boolean_query([(Occur.Should, q) for q in alternatives])

    def _phrase(self, clause: Clause) -> Any | None:
        Q, Occur = self.t.Query, self.t.Occur
        tokens = self.analyze(clause.text)
        if not tokens:
            return None
        if len(tokens) == 1:
            return self._word(Clause(clause.occur, None, clause.text))
        return Q.boolean_query([
            (Occur.Should, self._boosted(self.phrase(name, clause.text), FIELD_BOOSTS[name]))
            for name in TEXT_FIELDS
        ])

    # ---- filters -----------------------------------------------------------------------------
    def _filter(self, clause: Clause) -> Any:
        Q = self.t.Query
        value = clause.text
        if clause.field == "kind":
            return Q.term_query(self.schema, "kind", value)
        if clause.field == "status":
            return Q.term_query(self.schema, "status", value.lower())
        if clause.field == "tag":
            return Q.term_query(self.schema, "tag", value.lower())
        path = value.replace("\\", "/")
        while path.startswith("./"):
            path = path[2:]
        return Q.regex_query(self.schema, "file", _regex_escape(path) + ".*")

    def compile(self, parsed: ParsedQuery) -> Any:
        Q, Occur = self.t.Query, self.t.Occur
        must: list[Any] = []
        must_not: list[Any] = []
        should: list[Any] = []
        filters: dict[str, list[Any]] = {}
        required_text = any(c.field is None and c.occur == "must" for c in parsed.clauses)
        vanished = False  # a word with nothing to search for once analysed (a stop word like `a`)
        for clause in parsed.clauses:
            if clause.field is not None:
                query = self._filter(clause)
                if clause.occur == "must_not":
                    must_not.append(query)
                else:
                    filters.setdefault(clause.field, []).append(query)
                continue
            query = self._phrase(clause) if clause.phrase else self._word(clause)
            if query is None:
                if clause.occur == "must":
                    must.append(Q.empty_query())
                elif clause.occur == "should":
                    vanished = True
                continue
            {"must": must, "must_not": must_not, "should": should}[clause.occur].append(query)
        for queries in filters.values():
            # Two values of one filter (kind:decision kind:gotcha) mean either.
            must.append(queries[0] if len(queries) == 1 else Q.boolean_query([(Occur.Should, q) for q in queries]))
        plain = [c for c in parsed.clauses if c.field is None and c.occur == "should" and not c.phrase]
        if len(plain) >= 2:
            # Words near each other (`double charge`, `logged out on all devices`) rank first.
            words = " ".join(c.text for c in plain)
            if len(self.positioned(words)) >= 2:
                for name in ("title", "body"):
                    near = self.phrase(name, words, slop=3)
                    should.append(self._boosted(near, FIELD_BOOSTS[name] * _PROXIMITY_WEIGHT))
        parts: list[tuple[Any, Any]] = []
        if should:
            text = should[0] if len(should) == 1 else Q.boolean_query([(Occur.Should, q) for q in should])
            # With required words or phrases the optional words only rank; otherwise (words, maybe
            # filters) at least one of them must match, or a filter would return every note it selects.
            parts.append((Occur.Should if required_text else Occur.Must, text))
        parts.extend((Occur.Must, q) for q in must)
        if not parts:
            # Only excluded words: every other note. Words that all vanished in analysis: no note (not all).
            parts.append((Occur.Must, Q.empty_query() if vanished else Q.all_query()))
        parts.extend((Occur.MustNot, q) for q in must_not)
        return Q.boolean_query(parts)
