"""Plain-text articles (often scraped pages saved as text): title, dateline, headings, body.

The text carries no markup, so structure is read from layout: the first line is the title,
blank lines separate paragraphs, a short isolated line between prose paragraphs is a section
heading, and short lines of site furniture ("Share", "Leave a reply", "Related posts") around
the article are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.ingest.boilerplate import is_furniture, is_navigation
from services.ingest.cleaning import clean_text, join_paragraphs
from services.ingest.extracted import Extracted
from shared.textlayout import (
    HEADING_MAX_WORDS,
    LIST_MARKER,
    ends_punctuated,
    is_title_case,
    split_dateline,
)

# A title glued to the next line by a scraper: "...on UkraineAnchorage, Alask" (a lower-case
# letter or closing punctuation directly followed by a capital).
_GLUE_POINT = re.compile(r"(?<=[a-z0-9.!?\u201d\u2019)])(?=[A-Z])")
_ZONE_MAX_WORDS = 12
_WRAP_WIDTH = 60
_MAX_TITLE_WORDS = 25  # a headline ending in a full stop is rarely longer


@dataclass
class _Unit:
    """One line of the text (wrapped lines rejoined), remembering its paragraph block."""

    text: str
    block: int

    @property
    def words(self) -> int:
        return len(self.text.split())


def _is_prose(unit: _Unit) -> bool:
    return unit.words >= 8 and ends_punctuated(unit.text)


def _is_continuation(previous: str, line: str, *, first_line: bool) -> bool:
    """Whether `line` continues `previous` (hard-wrapped text) rather than starting anew."""
    if LIST_MARKER.match(line) or ends_punctuated(previous):
        return False
    if line[:1].islower():
        return True
    # A long line without a full stop was wrapped, unless it is a headline: the text's first
    # line or one in Title Case.
    return len(previous) >= _WRAP_WIDTH and not first_line and not is_title_case(previous)


def _units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    for block, paragraph in enumerate(text.split("\n\n")):
        lines: list[str] = []
        for line in paragraph.split("\n"):
            first_line = block == 0 and len(lines) == 1
            if lines and _is_continuation(lines[-1], line, first_line=first_line):
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
        units.extend(_Unit(line, block) for line in lines)
    return units


def split_glued_title(first_line: str, next_text: str) -> tuple[str, str | None]:
    """Split "...on UkraineAnchorage, Alask" into the title and the glued fragment.

    The fragment must be where the next paragraph starts, which is what makes a capital
    after a lower-case letter (as in "McDonald" or "iPhone") a glue point rather than a name.
    """
    for match in _GLUE_POINT.finditer(first_line):
        head, tail = first_line[: match.start()], first_line[match.start() :]
        if len(tail) >= 3 and len(head.split()) >= 2 and next_text.startswith(tail):
            return head.rstrip(), tail
    return first_line, None


def _drop_chrome(units: list[_Unit]) -> list[_Unit]:
    """Remove site furniture: navigation before the title, furniture lines anywhere after.

    After the last real paragraph comes a trailing zone of short lines; it is furniture from
    its first furniture line on ("Share.", "Leave A Reply"...), while short lines before that
    may be data (scores, a referee's name) and stay.
    """
    start = 0
    while start < len(units) and is_navigation(units[start].text):
        start += 1
    units = units[start:]
    zone = len(units)
    while zone > 1 and (
        is_furniture(units[zone - 1].text, after_article=True)
        or (not _is_prose(units[zone - 1]) and units[zone - 1].words <= _ZONE_MAX_WORDS)
    ):
        zone -= 1
    cut = next(
        (i for i in range(zone, len(units)) if is_furniture(units[i].text, after_article=True)),
        len(units),
    )
    return units[:1] + [u for u in units[1:cut] if not is_furniture(u.text)]


def _is_heading(units: list[_Unit], index: int) -> bool:
    """A short Title Case line alone in its paragraph, between prose paragraphs.

    Without markup this is the only safe signal: a short line in sentence case may be a
    broken-off sentence, a caption or a score, and those belong to the body.
    """
    unit = units[index]
    if not (2 <= unit.words <= HEADING_MAX_WORDS and len(unit.text) <= 100):
        return False
    if ends_punctuated(unit.text):
        return False
    if LIST_MARKER.match(unit.text) or unit.text.count(",") > 2:  # a list of names
        return False
    if not is_title_case(unit.text):
        return False
    if index == 0 or index + 1 == len(units):
        return False
    before, after = units[index - 1], units[index + 1]
    alone = before.block != unit.block and after.block != unit.block
    next_starts_sentence = not after.text[:1].islower()
    return alone and _is_prose(before) and _is_prose(after) and next_starts_sentence


def extract_text(text: str) -> Extracted:
    """Plain text: the first line is the title, the rest the body."""
    units = _drop_chrome(_units(clean_text(text)))
    if not units:
        return Extracted(title=None, body="")
    if _is_prose(units[0]) and units[0].words > _MAX_TITLE_WORDS:
        # No title line: the text starts with its first paragraph.
        title, glued = None, None
    else:
        title_unit, units = units[0], units[1:]
        title, glued = split_glued_title(title_unit.text, units[0].text if units else "")
    dateline = None
    if units:
        dateline, opening = split_dateline(units[0].text, glued)
        units[0] = _Unit(opening, units[0].block)
    headings: list[str] = []
    paragraphs: list[str] = []
    current_block = -1
    for index, unit in enumerate(units):
        if _is_heading(units, index):
            headings.append(unit.text)
            current_block = -1
        elif unit.block == current_block:
            paragraphs[-1] = f"{paragraphs[-1]}\n{unit.text}"  # lines of one block stay together
        else:
            paragraphs.append(unit.text)
            current_block = unit.block
    return Extracted(
        title=title or None,
        body=join_paragraphs(paragraphs),
        dateline=dateline,
        headings=headings,
    )
