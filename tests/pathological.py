"""Hostile and pathological HTML pages of a chosen size, for the extraction bench and tests.

Each maker returns a page of about `size` bytes built around one shape that once made
extraction superlinear (or could): thousands of attributes on one element, deep nesting,
one endless line, thousands of tables or scripts, date-like strings everywhere. `normal`
is an ordinary article page of the same size, the baseline.
"""

from __future__ import annotations

from collections.abc import Callable

_HEAD = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Page | Site</title>"
    "<meta property='og:title' content='A headline'></head><body><article><h1>A headline</h1>"
    "<p>The first paragraph of a story that is long enough to be taken for the article body "
    "by any extractor, with several sentences of ordinary prose in it. It goes on.</p>"
)
_TAIL = "</article></body></html>"
_PARAGRAPH = (
    "<p>Officials said on Tuesday that the talks would continue next week, after a day of "
    "meetings that ended without an agreement on the main points of the plan.</p>\n"
)


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, (size - len(_HEAD) - len(_TAIL)) // len(unit))


def normal(size: int) -> str:
    return _HEAD + _repeat(_PARAGRAPH, size) + _TAIL


def attributes(size: int) -> str:
    """One <p> with as many attributes as fit (the 1.2 MB, 100,000-attribute page)."""
    count = max(1, (size - len(_HEAD)) // 12)
    attrs = " ".join(f'a{i}="x"' for i in range(count))
    return f"{_HEAD}<p {attrs}>Text of the element.</p>{_TAIL}"


def attributes_spread(size: int) -> str:
    """Many elements with 200 attributes each (each under a per-element cap, if any)."""
    attrs = " ".join(f'd{i}="2024-01-{i % 28 + 1:02d}"' for i in range(200))
    return _HEAD + _repeat(f"<span {attrs}>x</span>\n", size) + _TAIL


def nesting(size: int) -> str:
    """<div> inside <div>, all closed."""
    depth = max(1, (size - len(_HEAD)) // 11)
    return f"{_HEAD}{'<div>' * depth}deep text{'</div>' * depth}{_TAIL}"


def nesting_unclosed(size: int) -> str:
    """Inline elements opened and never closed."""
    return _HEAD + _repeat("<span><b>", size) + "deep text" + _TAIL


def long_line(size: int) -> str:
    """One paragraph that is one line of words with no break."""
    return _HEAD + "<p>" + _repeat("word ", size) + "</p>" + _TAIL


def long_word(size: int) -> str:
    """One paragraph that is one 'word' with no space."""
    return _HEAD + "<p>" + _repeat("x", size) + "</p>" + _TAIL


def tables(size: int) -> str:
    unit = "<table><tr><td>a</td><td>1</td></tr><tr><td>b</td></tr></table>"
    return _HEAD + _repeat(unit, size) + _TAIL


def scripts(size: int) -> str:
    unit = (
        "<script>var x = 1;</script>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "h"}</script>\n'
    )
    return _HEAD + _repeat(unit, size) + _TAIL


def json_ld_list(size: int) -> str:
    """One JSON-LD block holding a huge list of objects."""
    count = max(1, (size - len(_HEAD)) // 30)
    items = ",".join('{"@type":"Thing","name":"n"}' for _ in range(count))
    return f'{_HEAD}<script type="application/ld+json">[{items}]</script>{_TAIL}'


def data_scripts(size: int) -> str:
    """Scripts of page data the author reader parses: assignments by the thousand, each
    opening a JSON list that never closes, in scripts of 400,000 characters."""
    body = _repeat("var d = [", size)
    parts = [body[at : at + 400_000] for at in range(0, len(body), 400_000)]
    return _HEAD + "".join(f"<script>{part}</script>" for part in parts) + _TAIL


def dates(size: int) -> str:
    """Date-like text and attributes everywhere (htmldate's candidate scan)."""
    unit = (
        '<span class="date" title="2024-03-05">Published 2024-03-05 12:00</span> '
        '<a href="/2024/03/05/x">l</a>\n'
    )
    return _HEAD + _repeat(unit, size) + _TAIL


def elements(size: int) -> str:
    """Many tiny empty elements."""
    return _HEAD + _repeat("<i></i>", size) + _TAIL


SHAPES: dict[str, Callable[[int], str]] = {
    "normal": normal,
    "attributes": attributes,
    "attributes_spread": attributes_spread,
    "nesting": nesting,
    "nesting_unclosed": nesting_unclosed,
    "long_line": long_line,
    "long_word": long_word,
    "tables": tables,
    "scripts": scripts,
    "json_ld_list": json_ld_list,
    "data_scripts": data_scripts,
    "dates": dates,
    "elements": elements,
}
