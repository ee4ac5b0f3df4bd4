"""Extraction quality against a human-checked reference (the fundus-dev corpus layout).

    .venv/bin/python tests/bench/extraction_quality.py /work/shared/corpus/fundus-dev [-v]

For each `<country>/<Publisher>_<date>.html.gz` the expected article is the entry of
`<country>/<Publisher>.json` (one entry per parser version) whose title the page carries.
Reported per publisher and overall: title exact match, date (same day), authors (same set,
case-insensitive), body token F1 and body sequence similarity (difflib ratio over words),
and heading token F1. The corpus is read in place, never copied.

    .venv/bin/python tests/bench/extraction_quality.py --plain-text /work/shared/corpus/bbc

checks instead that plain-text files laid out as title, blank line, paragraphs come out with
every paragraph intact (none lost, merged, or taken for a heading or a dateline).
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path
from statistics import mean
from typing import Any

from services.ingest.extracted import Extracted
from services.ingest.extraction import extract

_PAGE = re.compile(r"^(?P<publisher>.+)_\d{4}_\d{2}_\d{2}\.html\.gz$")
_WORDS = re.compile(r"\w+")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", html.unescape(text)).split())


def _tokens(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def token_f1(got: str, expected: str) -> float:
    got_tokens, expected_tokens = Counter(_tokens(got)), Counter(_tokens(expected))
    if not got_tokens and not expected_tokens:
        return 1.0
    common = sum((got_tokens & expected_tokens).values())
    if not common:
        return 0.0
    precision = common / sum(got_tokens.values())
    recall = common / sum(expected_tokens.values())
    return 2 * precision * recall / (precision + recall)


def sequence_ratio(got: str, expected: str) -> float:
    return SequenceMatcher(None, _tokens(got), _tokens(expected), autojunk=False).ratio()


@dataclass
class Expected:
    title: str
    authors: list[str]
    published: datetime | None
    paragraphs: list[str]
    headings: list[str]

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> Expected:
        body = entry.get("body") or {}
        paragraphs = list(body.get("summary") or [])
        headings: list[str] = []
        for section in body.get("sections") or []:
            headings.extend(section.get("headline") or [])
            paragraphs.extend(section.get("paragraphs") or [])
        published = entry.get("publishing_date")
        return cls(
            title=_norm(entry.get("title") or ""),
            authors=entry.get("authors") or [],
            published=datetime.fromisoformat(published) if published else None,
            paragraphs=[_norm(p) for p in paragraphs],
            headings=[_norm(h) for h in headings],
        )


@dataclass
class Score:
    page: str
    title: bool
    date: bool | None  # None: the reference has no date
    authors: bool
    body_f1: float
    body_ratio: float
    headings_f1: float
    notes: list[str] = field(default_factory=list)


def _same_day(got: datetime | None, expected: datetime | None) -> bool | None:
    if expected is None:
        return None
    if got is None:
        return False
    if expected.tzinfo is None:
        expected = expected.replace(tzinfo=UTC)
    # The reference keeps the page's own zone; a day-only date of ours is midnight UTC.
    return got.date() in (expected.date(), expected.astimezone(UTC).date()) or (
        got.astimezone(expected.tzinfo).date() == expected.date()
    )


def match_entry(page_html: str, entries: list[dict[str, Any]], got_title: str | None) -> dict:
    """The reference entry whose title the page carries (longest wins), else the closest."""
    page_text = _norm(page_html)
    carried = [e for e in entries if e.get("title") and _norm(e["title"]) in page_text]
    if carried:
        return max(carried, key=lambda e: len(e["title"]))
    return max(
        entries,
        key=lambda e: SequenceMatcher(None, _norm(e.get("title") or ""), got_title or "").ratio(),
    )


def score_page(path: Path, url: str | None) -> tuple[Score, Extracted, Expected]:
    page_html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
    got = extract(page_html, "html", url=url)
    publisher = _PAGE.match(path.name).group("publisher")  # type: ignore[union-attr]
    entries = list(json.loads((path.parent / f"{publisher}.json").read_text()).values())
    expected = Expected.from_entry(match_entry(page_html, entries, got.title))
    body = "\n\n".join(expected.paragraphs)
    score = Score(
        page=str(path.relative_to(path.parent.parent)),
        title=_norm(got.title or "") == expected.title,
        date=_same_day(got.published_at, expected.published),
        authors={a.lower() for a in got.authors} == {a.lower() for a in expected.authors},
        body_f1=token_f1(got.body, body),
        body_ratio=sequence_ratio(got.body, body),
        headings_f1=token_f1(" ".join(got.headings), " ".join(expected.headings)),
    )
    return score, got, expected


_METRICS = ("title", "date", "authors", "body_f1", "body_ratio", "headings_f1")


def _means(scores: list[Score]) -> dict[str, float | None]:
    """Each metric's mean over the pages (date: over the pages whose reference has one)."""
    means: dict[str, float | None] = {}
    for metric in _METRICS:
        values = [float(v) for s in scores if (v := getattr(s, metric)) is not None]
        means[metric] = mean(values) if values else None
    return means


def _macro(per_publisher: list[dict[str, float | None]]) -> dict[str, float | None]:
    """The mean of the publishers' means: every site counts once, however many pages."""
    macro: dict[str, float | None] = {}
    for metric in _METRICS:
        values = [v for m in per_publisher if (v := m[metric]) is not None]
        macro[metric] = mean(values) if values else None
    return macro


def _row(name: str, count: int, m: dict[str, float | None]) -> str:
    def pct(value: float | None) -> str:
        return f"{value:6.0%}" if value is not None else "     -"

    def num(value: float | None) -> str:
        return f"{value:7.3f}" if value is not None else "      -"

    return (
        f"{name:<24} {count:>5} {pct(m['title'])} {pct(m['date'])} {pct(m['authors'])} "
        f"{num(m['body_f1'])} {num(m['body_ratio'])} {num(m['headings_f1'])}"
    )


def _explain(score: Score, got: Extracted, expected: Expected) -> None:
    out = sys.stdout
    if not score.title:
        out.write(f"  title    got {got.title!r}\n           exp {expected.title!r}\n")
    if score.date is False:
        out.write(f"  date     got {got.published_at} exp {expected.published}\n")
    if not score.authors:
        out.write(f"  authors  got {got.authors} exp {expected.authors}\n")
    if score.body_f1 < 0.9:
        out.write(
            f"  body     f1 {score.body_f1:.3f}: got {len(got.paragraphs)} paragraphs "
            f"({got.body[:120]!r}...), exp {len(expected.paragraphs)} "
            f"({(expected.paragraphs or [''])[0][:120]!r}...)\n"
        )


def check_plain_text(corpus: Path) -> int:
    """Plain-text files laid out as "title, blank line, paragraphs" (the BBC corpus): every
    paragraph must come out unchanged, none as a heading or a dateline. Returns the misses."""
    from services.ingest.cleaning import clean_text
    from services.ingest.decoding import decode_bytes

    files = sorted(corpus.rglob("*.txt"))
    misses = 0
    for path in files:
        if path.name.lower() == "readme.txt":
            continue
        text = decode_bytes(path.read_bytes())
        title, *paragraphs = clean_text(text).split("\n\n")
        got = extract(text, "text")
        if (got.title, got.paragraphs, got.headings, got.dateline) != (title, paragraphs, [], None):
            misses += 1
            sys.stdout.write(f"{path}: title/paragraphs/headings/dateline differ\n")
    sys.stdout.write(f"{len(files)} plain-text files, {misses} with a paragraph changed\n")
    return misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a fundus-dev style corpus directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each miss")
    parser.add_argument(
        "--plain-text", action="store_true", help="check a title-and-paragraphs .txt corpus"
    )
    args = parser.parse_args()
    if args.plain_text:
        return 1 if check_plain_text(args.corpus) else 0
    by_publisher: dict[str, list[Score]] = defaultdict(list)
    started = time.perf_counter()
    pages = sorted(p for p in args.corpus.glob("*/*.html.gz") if _PAGE.match(p.name))
    for path in pages:
        meta_file = path.parent / "meta.info"
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        url = (meta.get(path.name) or {}).get("url")
        score, got, expected = score_page(path, url)
        by_publisher[f"{path.parent.name}/{_PAGE.match(path.name)['publisher']}"].append(score)  # type: ignore[index]
        if args.verbose and not (
            score.title and score.date is not False and score.authors and score.body_f1 >= 0.9
        ):
            sys.stdout.write(f"{score.page}\n")
            _explain(score, got, expected)
    elapsed = time.perf_counter() - started
    header = f"{'publisher':<24} {'pages':>5} {'title':>6} {'date':>6} {'author':>6} "
    header += f"{'bodyF1':>7} {'bodySeq':>7} {'headF1':>7}"
    lines = [header, "-" * len(header)]
    publisher_means = {name: _means(scores) for name, scores in by_publisher.items()}
    lines += [
        _row(name, len(by_publisher[name]), means)
        for name, means in sorted(publisher_means.items())
    ]
    every = [s for scores in by_publisher.values() for s in scores]
    lines += [
        "-" * len(header),
        _row("overall (pages)", len(every), _means(every)),
        _row("overall (publishers)", len(by_publisher), _macro(list(publisher_means.values()))),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.write(
        f"{len(every)} pages in {elapsed:.1f}s ({elapsed / len(every) * 1000:.0f} ms/page)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
