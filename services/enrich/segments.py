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

# Far below spaCy's max_length (1,000,000): smaller docs batch better and bound memory.
MAX_SEGMENT_CHARS = 10_000

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"[^\n]+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")  # noqa: RUF001 - typographic marks
_HEADING_MAX_WORDS = 12
# "Anchorage, Alaska — In their first..." / "WASHINGTON (Reuters) - The...": place names, an
# optional agency, then a dash, at the start of the body.
_NAME = r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}"  # noqa: RUF001 - typographic marks
_DATELINE = re.compile(
    rf"({_NAME}(?:, {_NAME}){{0,2}}(?: \([^)]{{1,40}}\))?)\s+([—–-]{{1,2}})\s+(?=\S)"  # noqa: RUF001 - typographic marks
)
# A line ending like this is prose (or a boilerplate "Share."), never a heading.
_PROSE_ENDINGS = tuple(".!?…:;,\"'”’»)")  # noqa: RUF001 - typographic marks


@dataclass(frozen=True)
class ArticleText:
    """What the enrich stage reads of an article: clean title, body and section headings."""

    title: str | None
    body: str  # paragraphs separated by one blank line
    headings: list[str] = field(default_factory=list)
    dateline: str | None = None  # "Anchorage, Alaska": where the story was filed

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in _BLANK_LINE.split(self.body) if p.strip()]


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


def looks_like_heading(line: str) -> bool:
    """A short title-cased line without closing punctuation ("Ukraine at the Center").

    Catches headings left in the body when extraction did not report them, so that the
    heading rules (no NER, no sentences for the summary) apply to them too.
    """
    words = line.split()
    if not 0 < len(words) <= _HEADING_MAX_WORDS or line.rstrip().endswith(_PROSE_ENDINGS):
        return False
    content = [w for w in words if len(w.strip(",;:-–—")) > 3 and w[0].isalpha()]  # noqa: RUF001 - typographic marks
    if not content:
        return all(w[0].isupper() for w in words if w[0].isalpha()) and any(
            w[0].isalpha() for w in words
        )
    return sum(w[0].isupper() for w in content) / len(content) >= 0.6


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


def _dateline_prefix(line: str) -> re.Match[str] | None:
    """A dateline opening the first line; a plain hyphen only after capitals ("WASHINGTON -")
    or an agency, since "Ryanair - the airline..." is prose."""
    match = _DATELINE.match(line)
    if match and match.group(2) == "-" and not (match.group(1).isupper() or "(" in match.group(1)):
        return None
    return match


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
        prefix = _dateline_prefix(stripped) if first_line else None
        first_line = False
        if prefix:  # the dateline is still in the body: read it apart from the prose
            segments.append(Segment(SegmentKind.DATELINE, prefix.group(1), start, paragraph))
            if dateline and _normalise(dateline) == _normalise(prefix.group(1)):
                dateline = None
            start += prefix.end()
            stripped = stripped[prefix.end() :]
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
