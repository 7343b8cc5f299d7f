"""Recall and search quality: hit@1, hit@5 and MRR on two corpora, with a plain-BM25 baseline in the same run.

    .venv/bin/python bench/recall/quality.py [--sidecar DIR] [--json PATH] [--show-misses]

Corpora:
  * shop (`tests/recall_corpus`): 66 notes about a small web service, 30 `recall` places (some with a
    task query) and 30 `search` queries. Cairn's ranking was tuned on it.
  * adr (`bench/recall/adr_corpus`): the 38 real decision records of alphagov/govuk-aws as notes and 51
    paraphrased questions written before any tuning. `search` only: the records anchor no code. The
    odd-numbered questions (1st, 3rd, ...) were the only ones looked at while tuning (the "dev half"); the
    even-numbered ones (the "held-out half") were never looked at, only counted.

A question is a hit at k when any expected note is in the top k; MRR is the mean of 1/rank of the first
expected note (0 when it is not in the top 10). The baseline is what a plain full-text index gives on the
same notes and questions: Tantivy's default tokenizer over title + body, one query of the question's
words, no stemming, boosts, proximity or typo tolerance.

`--sidecar DIR` measures another checkout's engine (e.g. `git archive main sidecar | tar -x -C /tmp/m`
then `--sidecar /tmp/m/sidecar`) against the same corpora: how the before/after figures in
bench/README.md were taken.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ADR = HERE / "adr_corpus"
DEPTH = 10


def metrics(rows: list[tuple[list[str], list[str]]]) -> dict[str, float]:
    """hit@1, hit@5, MRR (and the test's recall@5: the share of expected notes in the top 5)."""
    n = len(rows) or 1
    hit1 = sum(1 for expect, ranked in rows if set(expect) & set(ranked[:1])) / n
    hit5 = sum(1 for expect, ranked in rows if set(expect) & set(ranked[:5])) / n
    mrr = sum(next((1 / (i + 1) for i, r in enumerate(ranked[:DEPTH]) if r in expect), 0.0)
              for expect, ranked in rows) / n
    recall5 = sum(len(set(expect) & set(ranked[:5])) / len(expect) for expect, ranked in rows) / n
    return {"questions": len(rows), "hit@1": round(hit1, 3), "hit@5": round(hit5, 3), "MRR": round(mrr, 3),
            "recall@5": round(recall5, 3)}


def adr_notes() -> list[dict[str, str]]:
    """Each record as a note: id decisions/<stem>, title from the `# N. Title` heading, body the rest."""
    notes = []
    for path in sorted((ADR / "adrs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        first, _, body = text.partition("\n")
        title = re.sub(r"^#\s*\d+\.\s*", "", first).strip()
        notes.append({"id": f"decisions/{path.stem}", "title": title, "body": body.strip() + "\n"})
    return notes


def build_adr_repo(root: Path, notes: list[dict[str, str]]) -> Path:
    from tests.recall.conftest import commit_all, init_repo

    from cairn.notes.document import render

    init_repo(root)
    for note in notes:
        meta = {"title": note["title"], "kind": "decision", "tags": [], "status": "active",
                "created": "2026-11-01T10:00:00Z", "reviewed": "2026-11-01T10:00:00Z"}
        target = root / "agent-context" / f"{note['id']}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(meta, "\n" + note["body"]), encoding="utf-8")
    commit_all(root, "ADRs as notes")
    return root


def baseline(notes: list[dict[str, str]], queries: list[str]) -> list[list[str]]:
    """Plain BM25 (Tantivy's default tokenizer, title + body, no stemming or boosts): ranked ids per query."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=False)
    builder.add_text_field("body", stored=False)
    schema = builder.build()
    index = tantivy.Index(schema)
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for note in notes:
        writer.add_document(tantivy.Document(id=note["id"], title=note["title"], body=note["body"]))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    out = []
    for query in queries:
        words = " ".join(re.findall(r"[A-Za-z0-9]+", query)) or "_"
        parsed = index.parse_query(words, ["title", "body"])
        hits = searcher.search(parsed, DEPTH).hits
        out.append([searcher.doc(address).get_first("id") for _, address in hits])
    return out


def run_shop(work: Path) -> dict[str, Any]:
    from tests.recall.conftest import CORPUS, NOW, build_corpus, resolve_target

    from cairn.index import NoteIndex
    from cairn.recall import recall
    from cairn.workspace import Workspace

    root = build_corpus(work / "shop")
    ws = Workspace.at(root)
    index = NoteIndex(ws)
    index.refresh()
    questions = tomllib.loads((CORPUS / "queries.toml").read_text(encoding="utf-8"))
    recall_rows, search_rows, labels = [], [], []
    for item in questions["recall"]:
        path, line = resolve_target(root, item["target"])
        pack = recall(ws, path, line, query=item.get("query"), budget=100_000, index=index, now=NOW,
                      max_notes=DEPTH)
        recall_rows.append((item["expect"], [n.id for n in pack.notes]))
        labels.append(("recall", item["target"] + (f" --query {item['query']!r}" if item.get("query") else "")))
    for item in questions["search"]:
        search_rows.append((item["expect"], [h.id for h in index.search(item["query"], DEPTH)]))
        labels.append(("search", item["query"]))
    notes = []
    for path in sorted((root / "agent-context").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, fm, body = text.split("---\n", 2)
        title = next(line.split(":", 1)[1].strip().strip("'\"")
                     for line in fm.splitlines() if line.startswith("title:"))
        note_id = str(path.relative_to(root / "agent-context").with_suffix(""))
        notes.append({"id": note_id, "title": title, "body": body})
    base = baseline(notes, [item["query"] for item in questions["search"]])
    return {"recall": metrics(recall_rows), "search": metrics(search_rows),
            "all": metrics(recall_rows + search_rows),
            "search_baseline": metrics([(item["expect"], ranked)
                                        for item, ranked in zip(questions["search"], base, strict=True)]),
            "_rows": list(zip(labels, recall_rows + search_rows, strict=True))}


def run_adr(work: Path) -> dict[str, Any]:
    from cairn.index import NoteIndex
    from cairn.workspace import Workspace

    notes = adr_notes()
    root = build_adr_repo(work / "adr", notes)
    index = NoteIndex(Workspace.at(root))
    index.refresh()
    questions = tomllib.loads((ADR / "questions.toml").read_text(encoding="utf-8"))["question"]
    rows = []
    for item in questions:
        rows.append(([f"decisions/{e}" for e in item["expect"]], [h.id for h in index.search(item["query"], DEPTH)]))
    base = baseline(notes, [item["query"] for item in questions])
    base_rows = [(expect, ranked) for (expect, _), ranked in zip(rows, base, strict=True)]
    return {"search": metrics(rows),
            # Odd-numbered questions were the development half while tuning, even-numbered ones never seen.
            "search (dev half)": metrics(rows[0::2]), "search (held-out half)": metrics(rows[1::2]),
            "search_baseline": metrics(base_rows),
            "search_baseline (dev half)": metrics(base_rows[0::2]),
            "search_baseline (held-out half)": metrics(base_rows[1::2]),
            "_rows": [(("search", item["query"]), row) for item, row in list(zip(questions, rows, strict=True))[0::2]]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sidecar", type=Path, default=ROOT / "sidecar", help="the engine to measure")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "output" / "recall" / "quality.json")
    parser.add_argument("--show-misses", action="store_true",
                        help="list the questions not answered at rank 1 (of the adr corpus: the dev half only)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.sidecar.resolve()))
    sys.path.insert(1, str(ROOT))
    import logging

    logging.getLogger("cairn").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="cairn-quality-") as tmp:
        results = {"engine": str(args.sidecar), "shop": run_shop(Path(tmp)), "adr": run_adr(Path(tmp))}
    print(f"engine: {args.sidecar}")
    print(f"{'corpus':<8}{'questions':<32}{'n':>4}{'hit@1':>8}{'hit@5':>8}{'MRR':>8}{'recall@5':>10}")
    for corpus in ("shop", "adr"):
        for part, value in results[corpus].items():
            if part.startswith("_"):
                continue
            print(f"{corpus:<8}{part:<32}{value['questions']:>4}{value['hit@1']:>8.3f}{value['hit@5']:>8.3f}"
                  f"{value['MRR']:>8.3f}{value['recall@5']:>10.3f}")
    if args.show_misses:
        for corpus in ("shop", "adr"):
            for (kind, label), (expect, ranked) in results[corpus]["_rows"]:
                if not set(expect) & set(ranked[:1]):
                    print(f"  miss {corpus} {kind} {label!r}: expected {expect}, got {ranked[:5]}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({c: {k: v for k, v in r.items() if not k.startswith("_")} if isinstance(r, dict)
                                     else r for c, r in results.items()}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
