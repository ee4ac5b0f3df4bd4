"""Extraction quality against a human-checked reference (the fundus-dev corpus layout).

    .venv/bin/python tests/bench/extraction_quality.py /work/shared/corpus/fundus-dev [-v]
        [--variants all|NAME,NAME]

For each `<country>/<Publisher>_<date>.html.gz` the expected article is the entry of
`<country>/<Publisher>.json` (one entry per parser version) whose title the page carries.
Reported per publisher and overall: title exact match, date (same day), authors (same set,
case-insensitive), body token F1 and body sequence similarity (difflib ratio over words),
and heading token F1. The corpus is read in place, never copied.

    .venv/bin/python tests/bench/extraction_quality.py --plain-text /work/shared/corpus/bbc

checks instead that plain-text files laid out as title, blank line, paragraphs come out with
every paragraph intact (none lost, merged, or taken for a heading or a dateline).

Generalisation: a rule tuned on these publishers must also hold on sites never seen. Under
the pooled figures, each publisher's score is set against the same score measured with that
publisher left out (leave-one-publisher-out, and leave-one-country-out). With `--variants`,
every extraction choice of `services.ingest.webpage.HtmlOptions` is flipped in turn and the
choice is judged the cross-validated way: for each publisher left out, the variant that
scores best on the others is picked and scored on that publisher; the mean over publishers
is what the choice is worth on an unseen site, next to the pooled best (which is optimistic).
Per variant, "+/-" counts the publishers it helps and hurts against the current choice: a
rule that helps one publisher and hurts others only fits the one it was written for.

    .venv/bin/python tests/bench/extraction_quality.py CORPUS --hide-linked-authors [--variants ...]

scores every page with its JSON-LD `author`/`creator` removed first (markup, meta tags and
bylines unchanged): 120 of fundus-dev's 137 pages name their authors in JSON-LD, so the
default figure says little about the rules a site without JSON-LD authors relies on.

    .venv/bin/python tests/bench/extraction_quality.py CORPUS --hide-title-meta [--variants ...]

does the same for titles: the JSON-LD headline and the og:title / twitter:title tags removed,
the <title> tag (with its site name and section) and the <h1> left, as on a site that has
no social or search markup.

    .venv/bin/python tests/bench/extraction_quality.py CORPUS --hide-date-meta [--variants ...]

and for dates: the JSON-LD datePublished, the publication-date meta tags and microdata
removed, the page's text and <time> elements left (every fundus-dev page states its date).
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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path
from statistics import mean
from typing import Any

from services.ingest.extracted import Extracted
from services.ingest.extraction import extract
from services.ingest.webpage import DEFAULT_OPTIONS, PUBLISHED_META, HtmlOptions, extract_html

_PAGE = re.compile(r"^(?P<publisher>.+)_\d{4}_\d{2}_\d{2}\.html\.gz$")
_WORDS = re.compile(r"\w+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))  # as cleaning.py


def _norm(text: str) -> str:
    """Text as read: entities decoded, NFC, spaces collapsed, without the invisible characters
    that extraction drops too (a reference title with a zero-width space is the same title)."""
    text = unicodedata.normalize("NFC", html.unescape(text)).translate(_INVISIBLE)
    return " ".join(text.split())


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
    """The reference entry whose title the page carries (longest wins; one the page carries
    character for character, invisible ones too, first), else the closest."""
    page_text = _norm(page_html)
    exact_text = unicodedata.normalize("NFC", html.unescape(page_html))
    carried = [e for e in entries if e.get("title") and _norm(e["title"]) in page_text]
    if carried:
        return max(carried, key=lambda e: (e["title"] in exact_text, len(e["title"])))
    return max(
        entries,
        key=lambda e: SequenceMatcher(None, _norm(e.get("title") or ""), got_title or "").ratio(),
    )


def _flipped(option: str) -> HtmlOptions:
    """The defaults with `option` the other way."""
    return replace(DEFAULT_OPTIONS, **{option: not getattr(DEFAULT_OPTIONS, option)})


# Each choice of HtmlOptions flipped, under the name --variants takes.
VARIANTS: dict[str, HtmlOptions] = {
    "current": DEFAULT_OPTIONS,
    "fallbacks": _flipped("fast"),
    "run-on-fallbacks-flip": _flipped("fallbacks_for_run_on_text"),
    "short-text-fallbacks-flip": _flipped("fallbacks_for_short_text"),
    "precision": _flipped("favor_precision"),
    "furniture-flip": _flipped("drop_furniture"),
    "title-flip": _flipped("headline_first"),
    "title-consensus": _flipped("title_consensus"),
    "byline-flip": _flipped("move_bylines"),
    "first-byline-flip": _flipped("first_byline_only"),
    "markup-byline-flip": _flipped("bylines_in_markup"),
    "markup-byline-first-flip": _flipped("markup_bylines_first"),
    "teaser-byline-flip": _flipped("skip_teaser_bylines"),
    "teaser-authors-flip": _flipped("no_teaser_authors"),
    "byline-place-flip": _flipped("drop_byline_places"),
    "author-links-flip": _flipped("author_links"),
    "byline-lines-flip": _flipped("byline_block_lines"),
    "agency-byline-flip": _flipped("agency_bylines_in_markup"),
    "site-among-people-flip": _flipped("people_over_site_names"),
    "scholarly-authors-flip": _flipped("scholarly_authors"),
    "labelled-byline-flip": _flipped("labelled_bylines"),
    "meta-author-flip": _flipped("meta_author_as_written"),
    "script-authors-flip": _flipped("script_data_authors"),
    "script-authors-first-flip": _flipped("script_data_authors_first"),
    "site-name-flip": _flipped("strip_site_names"),
    "link-list-flip": _flipped("drop_link_lists"),
    "article-body-flip": _flipped("agree_with_article_body"),
    "article-body-fallback-flip": _flipped("article_body_fallback"),
    "author-notes-flip": _flipped("drop_author_notes"),
    "author-notes-role-flip": _flipped("author_notes_after_role"),
    "closing-lead-in-flip": _flipped("drop_closing_lead_ins"),
    "lead-flip": _flipped("lead_from_description"),
    "repeat-flip": _flipped("drop_repeated"),
    "caption-flip": _flipped("drop_image_captions"),
    "promotion-flip": _flipped("drop_promotions"),
    "source-list-flip": _flipped("drop_source_lists"),
    "page-suffix-flip": _flipped("strip_page_suffixes"),
    "headline-shown-flip": _flipped("headline_shown"),
    "shared-headline-flip": _flipped("shared_headline"),
    "untruncate-flip": _flipped("untruncate_titles"),
    "section-prefix-flip": _flipped("strip_section_prefixes"),
    "section-suffix-flip": _flipped("strip_section_suffixes"),
    "site-qualifier-flip": _flipped("site_name_qualifiers"),
    "h1-kicker-flip": _flipped("h1_kicker_separator"),
    "h1-by-title-tag-flip": _flipped("h1_by_title_tag"),
    "microdata-authors-flip": _flipped("microdata_authors"),
    "section-h1-flip": _flipped("headline_below_section_h1"),
    "author-page-handle-flip": _flipped("author_page_handles"),
    "title-tag-flip": _flipped("title_tag_before_guesses"),
    "title-date-flip": _flipped("dates_from_title"),
    "text-date-flip": _flipped("dates_from_text"),
    "page-zone-flip": _flipped("page_zone"),
    "bylines-anywhere-flip": _flipped("bylines_anywhere"),
    "vcard-authors-flip": _flipped("vcard_authors"),
    "date-below-headline-flip": _flipped("date_below_headline"),
    "tables-flip": _flipped("tables"),
}
# The metrics a choice is selected on, one at a time.
_SELECTED_ON = ("title", "date", "authors", "body_f1")


_JSON_LD = re.compile(
    r"(<script[^>]*application/ld\+json[^>]*>)(.*?)(</script>)", re.IGNORECASE | re.DOTALL
)


_HIDDEN_KEYS = {
    "authors": ("author", "creator"),
    "titles": ("headline", "alternativeHeadline"),
    "dates": ("datePublished", "dateCreated", "uploadDate"),
}
_TITLE_META = re.compile(
    r"<meta\b[^>]*\b(?:property|name)\s*=\s*[\"']?(?:og|twitter):title\b[^>]*>", re.IGNORECASE
)
# The meta tags and microdata a page states its publication date in (the page's text and its
# <time> elements stay: what a reader sees).
_DATE_META = re.compile(
    r"<meta\b[^>]*\b(?:property|name|itemprop)\s*=\s*[\"']?"
    rf"(?:{'|'.join(map(re.escape, PUBLISHED_META))})[\"'\s>][^>]*>",
    re.IGNORECASE,
)
_DATE_ITEMPROP = re.compile(r"\bitemprop\s*=\s*[\"']?datePublished\b[\"']?", re.IGNORECASE)


def _without_keys(value: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _without_keys(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without_keys(v, keys) for v in value]
    return value


def hide_metadata(page_html: str, hidden: frozenset[str]) -> str:
    """The page as a site without some machine-readable metadata publishes it, the rest
    unchanged: "authors" drops JSON-LD author/creator, "titles" the JSON-LD headline and the
    og:title / twitter:title tags, "dates" the JSON-LD, meta tag and microdata publication
    dates. What the rules read off the page itself is worth there."""
    keys = tuple(k for what in sorted(hidden) for k in _HIDDEN_KEYS[what])
    if not keys:
        return page_html

    def rewrite(match: re.Match[str]) -> str:
        try:
            data = json.loads(match.group(2))
        except ValueError:
            return match.group(0)
        return match.group(1) + json.dumps(_without_keys(data, keys)) + match.group(3)

    page_html = _JSON_LD.sub(rewrite, page_html)
    if "titles" in hidden:
        page_html = _TITLE_META.sub("", page_html)
    if "dates" in hidden:
        page_html = _DATE_ITEMPROP.sub("", _DATE_META.sub("", page_html))
    return page_html


def score_page(
    path: Path,
    url: str | None,
    options: HtmlOptions = DEFAULT_OPTIONS,
    *,
    hidden: frozenset[str] = frozenset(),
) -> tuple[Score, Extracted, Expected]:
    page_html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
    page = hide_metadata(page_html, hidden)
    got = extract_html(page, url=url, options=options)
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


def _held_out(
    publisher_means: dict[str, dict[str, float | None]], group: Callable[[str], str]
) -> dict[str, float | None]:
    """Each publisher's score set against the others' when its group (itself, or its
    country) is left out: the mean over groups of (group's macro mean). For one fixed
    choice this equals the macro figure per group; it is the baseline the variants' cross-
    validated selection is compared with."""
    groups: dict[str, list[dict[str, float | None]]] = defaultdict(list)
    for name, means in publisher_means.items():
        groups[group(name)].append(means)
    return _macro([_macro(members) for members in groups.values()])


def _cross_validated(
    by_variant: dict[str, dict[str, dict[str, float | None]]],
    metric: str,
    group: Callable[[str], str],
) -> tuple[float, Counter[str]]:
    """Leave one group out: pick the variant with the best macro `metric` on the other
    groups, score it on the group left out; the mean over groups, and how often each
    variant was picked."""
    publishers = next(iter(by_variant.values())).keys()
    groups = sorted({group(p) for p in publishers})
    picked: Counter[str] = Counter()
    held_out_scores = []
    for left_out in groups:

        def mean_on(variant: str, inside: bool, left_out: str = left_out) -> float:
            values = [
                v
                for p, means in by_variant[variant].items()
                if (group(p) == left_out) == inside and (v := means[metric]) is not None
            ]
            return mean(values) if values else float("nan")

        best = max(by_variant, key=lambda v: (mean_on(v, inside=False), v == "current"))
        picked[best] += 1
        score = mean_on(best, inside=True)
        if score == score:  # not NaN: the group has this metric
            held_out_scores.append(score)
    return mean(held_out_scores), picked


def _publisher(name: str) -> str:
    return name


def _country(name: str) -> str:
    return name.split("/", 1)[0]


def _variants_report(
    by_variant: dict[str, dict[str, dict[str, float | None]]], pooled: dict[str, dict]
) -> str:
    lines = [
        "",
        "variants: pooled (pages) / macro (publishers); +/- publishers helped/hurt vs current",
    ]
    current = by_variant["current"]
    for variant, publisher_means in by_variant.items():
        macro = _macro(list(publisher_means.values()))
        cells = []
        for metric in _SELECTED_ON:
            p, m = pooled[variant][metric], macro[metric]
            diffs = [(publisher_means[n][metric] or 0) - (current[n][metric] or 0) for n in current]
            wins, losses = sum(d > 1e-9 for d in diffs), sum(d < -1e-9 for d in diffs)
            cells.append(f"{metric} {p:.3f}/{m:.3f} +{wins}-{losses}")
        lines.append(f"  {variant:<15} " + "  ".join(cells))
    for label, group in (("publisher", _publisher), ("country", _country)):
        lines.append(f"choice by leave-one-{label}-out (vs the pooled best, optimistic):")
        for metric in _SELECTED_ON:
            held_out, picked = _cross_validated(by_variant, metric, group)
            macro_by_variant = {
                v: _held_out(means, group)[metric] or 0.0 for v, means in by_variant.items()
            }
            best = max(macro_by_variant, key=lambda v: macro_by_variant[v])
            chosen = ", ".join(f"{v} x{n}" for v, n in picked.most_common())
            lines.append(
                f"  {metric:<8} held out {held_out:.3f}  pooled best {best} "
                f"{macro_by_variant[best]:.3f}  current {macro_by_variant['current']:.3f}  "
                f"picked: {chosen}"
            )
    return "\n".join(lines) + "\n"


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
    parser.add_argument(
        "--variants",
        help=f"'all' or some of {','.join(VARIANTS)}: score each, pooled and cross-validated",
    )
    parser.add_argument(
        "--hide-linked-authors",
        action="store_true",
        help="drop JSON-LD author/creator from every page first (a site without them)",
    )
    parser.add_argument(
        "--hide-title-meta",
        action="store_true",
        help="drop the JSON-LD headline and og:title/twitter:title first (<title>, <h1> left)",
    )
    parser.add_argument(
        "--hide-date-meta",
        action="store_true",
        help="drop the JSON-LD, meta tag and microdata publication dates first (text left)",
    )
    args = parser.parse_args()
    hidden = frozenset(
        what
        for what, flag in (
            ("authors", args.hide_linked_authors),
            ("titles", args.hide_title_meta),
            ("dates", args.hide_date_meta),
        )
        if flag
    )
    if args.plain_text:
        return 1 if check_plain_text(args.corpus) else 0
    pages = sorted(p for p in args.corpus.glob("*/*.html.gz") if _PAGE.match(p.name))
    urls = {}
    for path in pages:
        meta_file = path.parent / "meta.info"
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        urls[path] = (meta.get(path.name) or {}).get("url")
    by_publisher: dict[str, list[Score]] = defaultdict(list)
    started = time.perf_counter()
    for path in pages:
        score, got, expected = score_page(path, urls[path], hidden=hidden)
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
        _row(
            "overall (countries)",
            len({_country(n) for n in by_publisher}),
            _held_out(publisher_means, _country),
        ),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.write(
        f"{len(every)} pages in {elapsed:.1f}s ({elapsed / len(every) * 1000:.0f} ms/page)\n"
    )
    if args.variants:
        names = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
        names = ["current", *[n for n in names if n != "current"]]
        by_variant = {"current": publisher_means}
        pooled = {"current": _means(every)}
        for name in names[1:]:
            scores: dict[str, list[Score]] = defaultdict(list)
            for path in pages:
                score, _, _ = score_page(path, urls[path], VARIANTS[name], hidden=hidden)
                scores[f"{path.parent.name}/{_PAGE.match(path.name)['publisher']}"].append(score)  # type: ignore[index]
            by_variant[name] = {n: _means(s) for n, s in scores.items()}
            pooled[name] = _means([x for s in scores.values() for x in s])
        sys.stdout.write(_variants_report(by_variant, pooled))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
