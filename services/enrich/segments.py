"""An article cut into the pieces the models read: title, headings and body lines.

The models never see raw text: each body line is its own piece, so no entity or quote can
span a line break, and a long line is cut at sentence ends so that one huge paragraph never
reaches spaCy's `max_length` (or its memory appetite: about 1 GB per 100k characters).
Every piece keeps its offset in `body`, the text users see, so entities and quotes can point
back into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from shared.textlayout import CLOSERS, SENTENCE_MARKS, looks_like_heading, split_dateline

# Far below spaCy's max_length (1,000,000): smaller docs batch better and bound memory.
MAX_SEGMENT_CHARS = 10_000

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"[^\n]+")
# A sentence end where a long line may be cut: the mark, closing quotes, then a space.
_SENTENCE_END = re.compile(rf"[{re.escape(SENTENCE_MARKS)}][{re.escape(CLOSERS)}]*\s+")


@dataclass(frozen=True)
class ArticleText:
    """What the enrich stage reads of an article: clean title, body and section headings."""

    title: str | None
    body: str  # paragraphs separated by one blank line
    headings: list[str] = field(default_factory=list)
    dateline: str | None = None  # "Anchorage, Alaska": where the story was filed


class SegmentKind(StrEnum):
    TITLE = "title"
    DATELINE = "dateline"
    HEADING = "heading"
    PARAGRAPH = "paragraph"


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    text: str  # one line, no line break
    start: int | None  # offset of `text` in the body; None for the title and headings not in it
    paragraph: int  # index of the body paragraph (blank-line block); -1 outside the body

    @property
    def is_headline(self) -> bool:
        """Title and headings: title-cased text on which the NER model is unreliable."""
        return self.kind in (SegmentKind.TITLE, SegmentKind.HEADING)


def split_long(text: str, limit: int = MAX_SEGMENT_CHARS) -> list[tuple[int, str]]:
    """Cut `text` into (offset, chunk) pieces of at most `limit` chars, at sentence ends if any."""
    chunks: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = max((m.end() for m in _SENTENCE_END.finditer(window)), default=0)
        if cut < limit // 4:  # no sentence end in sight: cut at a space, else anywhere
            space = window.rfind(" ")
            cut = space + 1 if space > limit // 4 else limit
        chunks.append((start, text[start : start + cut]))
        start += cut
    chunks.append((start, text[start:]))
    return [(offset, chunk) for offset, chunk in chunks if chunk.strip()]


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def segment_article(article: ArticleText) -> list[Segment]:
    """Title first, then every body line in order, then headings that are not in the body."""
    segments: list[Segment] = []
    if article.title and article.title.strip():
        title = " ".join(article.title.split())
        segments.append(Segment(SegmentKind.TITLE, title, None, -1))
    headings = {_normalise(h) for h in article.headings if h.strip()}
    found: set[str] = set()
    paragraph = -1
    previous_end = 0
    dateline = " ".join(article.dateline.split()) if article.dateline else None
    first_line = True
    for match in _LINE.finditer(article.body):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        if paragraph < 0 or _BLANK_LINE.search(article.body, previous_end, match.start() + 1):
            paragraph += 1
        previous_end = match.end()
        start = match.start() + (len(line) - len(line.lstrip()))
        found_dateline, rest = split_dateline(stripped) if first_line else (None, stripped)
        first_line = False
        if found_dateline:  # the dateline is still in the body: read it apart from the prose
            segments.append(Segment(SegmentKind.DATELINE, found_dateline, start, paragraph))
            if dateline and _normalise(dateline) == _normalise(found_dateline):
                dateline = None
            start += len(stripped) - len(rest)
            stripped = rest
        key = _normalise(stripped)
        if key in headings or looks_like_heading(stripped):
            found.add(key)
            segments.append(Segment(SegmentKind.HEADING, stripped, start, paragraph))
            continue
        for offset, chunk in split_long(stripped):
            segments.append(Segment(SegmentKind.PARAGRAPH, chunk, start + offset, paragraph))
    for heading in article.headings:
        if heading.strip() and _normalise(heading) not in found:
            segments.append(Segment(SegmentKind.HEADING, " ".join(heading.split()), None, -1))
    if dateline:
        segments.append(Segment(SegmentKind.DATELINE, dateline, None, -1))
    return segments
