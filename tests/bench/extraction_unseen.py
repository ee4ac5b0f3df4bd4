"""Extraction on sites no rule was written for, next to trafilatura alone in the same run.

    .venv/bin/python tests/bench/fetch_unseen_corpus.py /tmp/unseen-corpus   # once
    .venv/bin/python tests/bench/extraction_unseen.py /tmp/unseen-corpus [-v] [--variants ...]

    .venv/bin/python tests/bench/fetch_unseen_corpus.py /tmp/readability-corpus --set readability
    .venv/bin/python tests/bench/extraction_unseen.py /tmp/readability-corpus [-v] [--variants ...]

The corpus (see fetch_unseen_corpus.py) annotates each page by hand with snippets the
article's text must contain and snippets it must not. Body precision, recall and F1 are
counted over all snippets of all pages, the way trafilatura's own evaluation counts them:
a "must" snippet found is a true positive, a "must not" snippet found a false positive.
Title, date and authors are scored on the pages annotated with them:
- title: equal once case, quote marks, dashes and spaces are set aside (the annotators
  typed what the page shows, "PEANUT BUTTER TRUFFLES" where CSS upper-cases the text);
- date: the same day, in the zone the page gives or in UTC;
- authors: the same set of names, case aside (a byline typed whole, "A und B", split).

A page annotated with the article's whole text instead (`body`, the Readability set) is
scored by token F1: the words of its headings and body against the reference's, as a
multiset, case aside; `text_f1` is the mean over those pages (`-` where a set has none).

The baseline is trafilatura 2 alone, with `favor_precision=True` and its own metadata.
With `--variants`, every choice of `services.ingest.webpage.HtmlOptions` is flipped in turn
(the names of extraction_quality.py) and "+/-" counts the pages it helps and hurts: a rule
written for fundus-dev's publishers that loses here does not carry over to unseen sites.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date
from functools import partial
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.ingest.decoding import decode_bytes
from services.ingest.extracted import Extracted
from services.ingest.webpage import DEFAULT_OPTIONS, HtmlOptions, extract_html
from tests.bench.extraction_quality import VARIANTS, token_f1

_SAME_MARKS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2039": "'",
        "\u203a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        # Invisible: soft hyphens and zero-width characters the annotators copied along.
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)


def same_title(got: str | None, expected: str) -> bool:
    def plain(text: str) -> str:
        text = unicodedata.normalize("NFKC", text).translate(_SAME_MARKS).casefold()
        return " ".join(text.split())

    return plain(got or "") == plain(expected)


def _day(text: str) -> date:
    """An annotated day; a few are typed "2022-01.26", "2022-11-1" or "2022-29-11"."""
    year, month, day = (int(n) for n in re.findall(r"\d+", text)[:3])
    return date(year, month, day) if month <= 12 else date(year, day, month)


# Not webpage.split_names: the reference is not read with the code under test.
_NAME_LIST = re.compile(r"\s*(?:[,;&]|\bund\b|\band\b)\s*", re.IGNORECASE)


def _names(names: list[str]) -> set[str]:
    """The names, case aside: the annotators typed some bylines whole ("A und B") and some
    names with spaces around."""
    return {n.casefold() for name in names for n in _NAME_LIST.split(name.strip()) if n}


def _words(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Found:
    """What one extractor made of one page."""

    title: str | None
    text: str  # title and body, as the snippets are looked for
    article: str  # headings and body, as a whole text reference has them
    day: set[date]  # the publication day in the page's zone and in UTC
    authors: list[str]


@dataclass
class Score:
    must_found: int
    must_missed: int
    must_not_found: int
    title: bool | None  # None: the page has no annotation of it
    date: bool | None
    authors: bool | None
    text_f1: float | None  # token F1 against the whole text, where the page has it


def ours(page: str, url: str | None, options: HtmlOptions = DEFAULT_OPTIONS) -> Found:
    got: Extracted = extract_html(page, url=url, options=options)
    days = set()
    if got.published_at is not None:
        days = {got.published_at.date(), got.published_at.astimezone(UTC).date()}
    # The section headings are kept apart from the paragraphs (and indexed, searchable, as
    # `headings`): they are the article's text too, as trafilatura's own text has them.
    article = "\n".join([*got.headings, got.body])
    return Found(got.title, f"{got.title or ''}\n{article}", article, days, got.authors)


def trafilatura_alone(page: str, url: str | None) -> Found:
    document = trafilatura.bare_extraction(
        page, url=url, favor_precision=True, with_metadata=True, include_comments=False
    )
    if document is None:
        return Found(None, "", "", set(), [])
    fields = document if isinstance(document, dict) else document.as_dict()
    title, text = fields.get("title"), fields.get("text") or ""
    days = {date.fromisoformat(fields["date"][:10])} if fields.get("date") else set()
    authors = [a.strip() for a in (fields.get("author") or "").split(";") if a.strip()]
    return Found(title, f"{title or ''}\n{text}", text, days, authors)


def score(found: Found, annotation: dict[str, Any]) -> Score:
    text = _words(found.text)
    must = [_words(s) in text for s in annotation.get("with") or []]
    must_not = [_words(s) in text for s in annotation.get("without") or []]
    expected_day = annotation.get("date")
    expected_authors = annotation.get("authors")
    return Score(
        must_found=sum(must),
        must_missed=len(must) - sum(must),
        must_not_found=sum(must_not),
        title=same_title(found.title, annotation["title"]) if annotation.get("title") else None,
        date=_day(expected_day) in found.day if expected_day else None,
        authors=_names(found.authors) == _names(expected_authors) if expected_authors else None,
        text_f1=token_f1(found.article, annotation["body"]) if "body" in annotation else None,
    )


def summary(scores: list[Score]) -> dict[str, float | None]:
    found = sum(s.must_found for s in scores)
    missed = sum(s.must_missed for s in scores)
    wrong = sum(s.must_not_found for s in scores)
    precision = found / (found + wrong) if found + wrong else 0.0
    recall = found / (found + missed) if found + missed else 0.0
    figures: dict[str, float | None] = {
        "precision": precision,
        "recall": recall,
        "body_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }
    if not found + missed + wrong:
        figures = dict.fromkeys(figures)  # a set without snippets
    for metric in ("title", "date", "authors", "text_f1"):
        marks = [v for s in scores if (v := getattr(s, metric)) is not None]
        figures[metric] = sum(marks) / len(marks) if marks else None
    return figures


_COLUMNS = ("precision", "recall", "body_f1", "title", "date", "authors", "text_f1")


def _row(name: str, figures: dict[str, float | None]) -> str:
    cells = (f"{v:>10.3f}" if (v := figures[c]) is not None else f"{'-':>10}" for c in _COLUMNS)
    return f"{name:<32}" + "".join(cells)


def _page_metric(s: Score, metric: str) -> float | None:
    if metric == "body":
        return float(s.must_found - s.must_not_found)
    value = getattr(s, metric)
    return None if value is None else float(value)


_TEXT_F1_STEP = 0.005  # a page's text F1 moved by less is neither helped nor hurt


def _versus(scores: list[Score], current: list[Score]) -> str:
    """Pages helped and hurt against the current choice, per metric."""
    cells = []
    for metric in ("body", "title", "date", "authors", "text_f1"):
        step = _TEXT_F1_STEP if metric == "text_f1" else 0.0
        diffs = [
            (a or 0.0) - (b or 0.0)
            for s, c in zip(scores, current, strict=True)
            if (a := _page_metric(s, metric)) is not None
            and (b := _page_metric(c, metric)) is not None
        ]
        cells.append(f"{metric} +{sum(d > step for d in diffs)}-{sum(d < -step for d in diffs)}")
    return "  ".join(cells)


def load(corpus: Path) -> list[tuple[str, dict[str, Any], str]]:
    annotations = json.loads((corpus / "annotations.json").read_text())
    return [
        # As the pipeline reads an upload: declared charset, else detection (GBK, Latin-1 pages).
        (url, a, decode_bytes((corpus / "pages" / a["file"]).read_bytes()))
        for url, a in annotations.items()
    ]


def _run(
    pages: list[tuple[str, dict[str, Any], str]], extractor: Callable[[str, str | None], Found]
) -> tuple[list[Score], list[Found], float]:
    started = time.process_time()
    # The Readability set is keyed by its cases' names: those pages come without an address.
    found = [extractor(page, key if key.startswith("http") else None) for key, _, page in pages]
    cpu = time.process_time() - started
    return [score(f, a) for f, (_, a, _) in zip(found, pages, strict=True)], found, cpu


_TEXT_F1_EXPLAINED = 0.95  # -v shows the pages whose text F1 is below


def _explain(url: str, annotation: dict[str, Any], found: Found, s: Score) -> None:
    out = sys.stdout
    out.write(f"{url}\n")
    if s.title is False:
        out.write(f"  title    got {found.title!r}\n           exp {annotation['title']!r}\n")
    if s.date is False:
        out.write(f"  date     got {sorted(found.day)} exp {annotation['date']}\n")
    if s.authors is False:
        out.write(f"  authors  got {found.authors} exp {annotation['authors']}\n")
    if s.text_f1 is not None and s.text_f1 < _TEXT_F1_EXPLAINED:
        out.write(f"  text     F1 {s.text_f1:.3f}\n")
    text = _words(found.text)
    for snippet in annotation.get("with") or []:
        if _words(snippet) not in text:
            out.write(f"  missing  {snippet!r}\n")
    for snippet in annotation.get("without") or []:
        if _words(snippet) in text:
            out.write(f"  kept     {snippet!r}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the directory fetch_unseen_corpus.py filled")
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each miss")
    parser.add_argument(
        "--variants", help=f"'all' or some of {','.join(VARIANTS)}: each flipped choice scored"
    )
    args = parser.parse_args()
    pages = load(args.corpus)
    current, found, cpu = _run(pages, ours)
    baseline, _, baseline_cpu = _run(pages, trafilatura_alone)
    if args.verbose:
        for (url, annotation, _), f, s in zip(pages, found, current, strict=True):
            if (
                s.must_missed
                or s.must_not_found
                or False in (s.title, s.date, s.authors)
                or (s.text_f1 is not None and s.text_f1 < _TEXT_F1_EXPLAINED)
            ):
                _explain(url, annotation, f, s)
    header = f"{len(pages)} pages".ljust(32) + "".join(f"{c:>10}" for c in _COLUMNS)
    lines = [
        header,
        "-" * len(header),
        _row("newsflow", summary(current)),
        _row("trafilatura alone (precision)", summary(baseline)),
        f"CPU: newsflow {cpu:.1f} s, trafilatura alone {baseline_cpu:.1f} s",
    ]
    if args.variants:
        names = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
        lines += ["", "variants; +/- pages helped/hurt vs current (body: snippets right)"]
        for name in (n for n in names if n != "current"):
            scores, _, _ = _run(pages, partial(ours, options=VARIANTS[name]))
            lines.append(_row(name, summary(scores)) + "  " + _versus(scores, current))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
