"""Bound an HTML page before any parser sees it, so extraction time grows linearly with size.

libxml2 (and lexbor, html5ever alike) check each attribute of an element against the ones
before it, and lxml's `attrib.items()`, which htmldate calls on every candidate element,
does the same: one `<p>` with 100,000 attributes took minutes. Every element also costs
trafilatura and htmldate a few dozen microseconds in Python, so a 5 MB page of empty tags
took a minute. This pass walks the page once with regular expressions (no backtracking,
each character looked at a bounded number of times) and:

- keeps at most `MAX_ATTRIBUTES` attributes per start tag (real pages stay far below);
- keeps at most `MAX_ELEMENTS` start tags; after that only the text goes on (a very long
  page keeps its words, without their markup), and script and style blocks are dropped;
- copies everything else byte for byte, so an ordinary page is parsed exactly as before.

Depth needs no bound here: libxml2 stops nesting at 256 levels unless `huge_tree` is set,
which trafilatura does not set. `<script>` and `<style>` contents are skipped as the HTML
tokenizer skips them (up to `</script` or `</style`), so JSON-LD is never altered.
"""

from __future__ import annotations

import re

MAX_ATTRIBUTES = 64
MAX_ELEMENTS = 10_000  # news pages have 1,000-3,500 (fundus-dev: median 1,047, max 3,319)

# One attribute, the HTML tokenizer's way: name, then optionally `=` and a value; a quote
# left open runs to the end of the page. Possessive: nothing is ever matched twice.
_ONE_ATTRIBUTE = r"""[\s/]*+[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:"[^"]*+"?|'[^']*+'?|[^\s>]*+))?+"""
_ATTRIBUTE = re.compile(_ONE_ATTRIBUTE)
# A start tag: its name (anything up to space, `/` or `>`), up to MAX_ATTRIBUTES attributes,
# and its `>`, missing when more attributes follow.
_START_TAG = re.compile(
    rf"<([A-Za-z][^\s/>]*+)(?:{_ONE_ATTRIBUTE}){{0,{MAX_ATTRIBUTES}}}+[\s/]*+(>?)"
)
_TAG_END = re.compile(r"[\s/]*+>?")
_RAW_TEXT_END = {
    "script": re.compile(r"</script[\s/>]", re.IGNORECASE),
    "style": re.compile(r"</style[\s/>]", re.IGNORECASE),
}
# After the element cap: every tag, comment, script and style block removed, text kept.
_MARKUP = re.compile(
    r"<script\b.*?(?:</script\s*>|\Z)|<style\b.*?(?:</style\s*>|\Z)|<!--.*?(?:-->|\Z)"
    r"|<[A-Za-z/!?][^>]*+>?",
    re.IGNORECASE | re.DOTALL,
)


def bound_html(page: str) -> str:
    """`page` with at most MAX_ATTRIBUTES attributes per element and MAX_ELEMENTS elements."""
    parts: list[str] = []
    copied = 0  # page[:copied] is in parts, or deliberately left out
    elements = 0
    position = 0
    while (tag := _START_TAG.search(page, position)) is not None:
        elements += 1
        if elements > MAX_ELEMENTS:
            parts.append(page[copied : tag.start()])
            parts.append(_MARKUP.sub(" ", page[tag.start() :]))
            return "".join(parts)
        position = tag.end()
        if not tag.group(2) and position < len(page):  # more attributes than the cap
            parts.append(page[copied:position])
            while (attribute := _ATTRIBUTE.match(page, position)) is not None:
                position = attribute.end()
            copied = position  # the attributes past the cap are left out
            position = _TAG_END.match(page, position).end()  # type: ignore[union-attr]
        raw_text_end = _RAW_TEXT_END.get(tag.group(1).lower())
        if raw_text_end is not None:
            closing = raw_text_end.search(page, position)
            position = closing.start() + 2 if closing else len(page)
    parts.append(page[copied:])
    return "".join(parts)
