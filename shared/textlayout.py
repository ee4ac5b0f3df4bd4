"""Rules that read structure from the layout of plain text: sentence ends, list items,
headings and datelines.

Ingest uses them to cut a plain-text article into title, dateline, headings and paragraphs
(`services.ingest.plaintext`, `services.ingest.boilerplate`); enrich uses the same rules on
the body it gets (`services.enrich.segments`), where an HTML page may have left a heading or
a dateline inside the text. One rule each, so the two stages agree on what a heading is.
"""

from __future__ import annotations

import re

SENTENCE_MARKS = ".!?\u2026"  # ... and the ellipsis character
CLAUSE_MARKS = ":;"
# Closing quotes and brackets that may follow the mark: `He said "no."`, `(in 2020).`
CLOSERS = "\"'\u201d\u2019\u00bb)]"
# A hyphen, star, bullet or en dash and a space, or "1. " / "2) "
LIST_MARKER = re.compile(r"^(?:[-*\u2022\u2013]\s|\d{1,3}[.)]\s)")
HEADING_MAX_WORDS = 12
_MINOR_WORD_LENGTH = 3  # "a", "of", "the", "and": lower case even in Title Case
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


def ends_sentence(text: str) -> bool:
    """Whether `text` ends a sentence: `.`, `!`, `?` or `…`, maybe inside closing quotes or
    brackets."""
    last = text.rstrip(CLOSERS + " \t")[-1:]
    return last != "" and last in SENTENCE_MARKS


def ends_punctuated(text: str) -> bool:
    """Whether a line ends as prose does: at a sentence or clause end (`.!?…:;`) or after a
    closing quote or bracket. Such a line is not a heading, and the next line does not
    continue it."""
    return bool(text) and text[-1] in SENTENCE_MARKS + CLAUSE_MARKS + CLOSERS


def is_title_case(text: str) -> bool:
    """Every word longer than three letters starts with a capital ("Trump and Putin Meet")."""
    words = [w for w in _WORD.findall(text) if len(w) > _MINOR_WORD_LENGTH]
    return bool(words) and all(w[0].isupper() for w in words)


def looks_like_heading(line: str) -> bool:
    """A short title-cased line without closing punctuation ("Ukraine at the Center"), read
    on its own; with the lines around it, `services.ingest.plaintext` asks for more."""
    line = line.rstrip()
    words = line.split()
    if not 0 < len(words) <= HEADING_MAX_WORDS or ends_punctuated(line) or line.endswith(","):
        return False
    content = [w for w in words if len(w.strip(",;:-\u2013\u2014")) > 3 and w[0].isalpha()]
    if not content:
        return all(w[0].isupper() for w in words if w[0].isalpha()) and any(
            w[0].isalpha() for w in words
        )
    return sum(w[0].isupper() for w in content) / len(content) >= 0.6


# "Anchorage, Alaska — In their...", "WASHINGTON (Reuters) - ...", "LONDON, Jan 5 -- ..."
_DASHES = "\u2014\u2013"  # em and en dash
_DATELINE_SPLIT = re.compile(
    rf"^(?P<dateline>[^\W\d_][^\n{_DASHES}]{{1,70}}?)\s*(?:[{_DASHES}]+|\s-{{1,2}})\s+(?=\S)"
)
_PLACE_WORD = r"[^\W\d_][\w.'\u2019-]*"
_CAPS_PLACE = re.compile(r"^[A-Z][A-Z.'\u2019 -]{2,}(?:,\s*[\w .'\u2019-]+)?$")
_PLACE_REGION = re.compile(
    rf"^{_PLACE_WORD}(?: {_PLACE_WORD}){{0,3}},(?: {_PLACE_WORD}){{1,3}}(?: \d{{1,2}})?$"
)
_AGENCY = re.compile(r"\s*\((?:[A-Za-z][\w .&/-]{1,30})\)$")  # (Reuters), (dpa)
_MAX_DATELINE_WORDS = 6


def _is_dateline(candidate: str, glued: str | None) -> bool:
    if len(candidate.split()) > _MAX_DATELINE_WORDS:
        return False
    if glued and candidate.startswith(glued):
        return True  # the scraper already showed us where the article's first line began
    place = _AGENCY.sub("", candidate)
    return bool(_CAPS_PLACE.match(place) or _PLACE_REGION.match(place) or place != candidate)


def split_dateline(paragraph: str, glued: str | None = None) -> tuple[str | None, str]:
    """Split "Anchorage, Alaska -- In their..." into ("Anchorage, Alaska", "In their...").

    A dateline is a place in capitals ("WASHINGTON"), a place and its region ("Anchorage,
    Alaska") or a name with an agency ("Reuters"), then a dash: "Ryanair - the airline..." is
    prose. `glued`: the start of the paragraph as a scraper glued it to the title line.
    """
    match = _DATELINE_SPLIT.match(paragraph)
    if not match or not _is_dateline(match.group("dateline"), glued):
        return None, paragraph
    return match.group("dateline").strip(" ,"), paragraph[match.end() :]
