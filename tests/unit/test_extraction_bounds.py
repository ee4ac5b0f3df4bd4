"""Hostile HTML is bounded before parsing: extraction time grows linearly with the page.

The timing assertions are deliberately generous caps (seconds, on 0.3-1.2 MB pages): before
the bounds, the 1.2 MB page of 100,000 attributes took 90 s and more, a 1 MB page of empty
tags 10 s. The slope figures live in tests/bench/bench_extract_pathological.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.ingest.extraction import extract
from services.ingest.html_bounds import MAX_ATTRIBUTES, MAX_ELEMENTS, bound_html
from tests import pathological

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
CAP_S = 5.0  # for the 1.2 MB attribute page (under a second on an idle machine)
SHAPE_CAP_S = 10.0  # for 300 kB of each shape (1-3 s on a busy 2-core machine)


def _attributes(count: int) -> str:
    return " ".join(f'a{i}="v{i}"' for i in range(count))


def test_an_ordinary_page_is_left_byte_for_byte() -> None:
    page = (FIXTURES / "article-jsonld.html").read_text(encoding="utf-8")
    assert bound_html(page) == page
    assert bound_html(pathological.normal(100_000)) == pathological.normal(100_000)


def test_attributes_past_the_cap_are_dropped_and_the_element_kept() -> None:
    page = f"<html><body><p {_attributes(1000)}>kept text</p><i>after</i></body></html>"
    bounded = bound_html(page)
    assert f'a{MAX_ATTRIBUTES - 1}="v{MAX_ATTRIBUTES - 1}"' in bounded
    assert f'a{MAX_ATTRIBUTES}="' not in bounded
    assert ">kept text</p><i>after</i></body></html>" in bounded


def test_an_element_at_the_cap_is_untouched() -> None:
    page = f"<p {_attributes(MAX_ATTRIBUTES)}>x</p>"
    assert bound_html(page) == page


@pytest.mark.parametrize(
    "tail",
    ['a="never closed ' + "x " * 500, "a b c " * 500, "<p " * 500],
    ids=["open-quote", "bare-names", "no-tag-end"],
)
def test_unterminated_tags_end_the_way_the_tokenizer_ends_them(tail: str) -> None:
    bounded = bound_html(f"<p {_attributes(100)} {tail}")
    assert len(bounded) < 2000


def test_script_and_json_ld_contents_are_never_altered() -> None:
    json_ld = '{"@type": "NewsArticle", "articleBody": "<p ' + _attributes(500) + '>"}'
    page = (
        f'<html><head><script type="application/ld+json">{json_ld}</script>'
        f"<style>p {{ color: red }} <b {_attributes(200)}></style></head>"
        f"<body><p>text</p></body></html>"
    )
    assert bound_html(page) == page


def test_markup_hidden_after_a_false_script_end_is_still_bounded() -> None:
    # `</scriptx>` does not end a script; a parser that disagreed would see the <p> as markup.
    page = f"<script>x</scriptx><p {_attributes(5000)}>t</p></script><p {_attributes(5000)}>u</p>"
    bounded = bound_html(page)
    assert bounded.startswith(f"<script>x</scriptx><p {_attributes(5000)}>")  # script text
    assert bounded.count('="') < 5000 + MAX_ATTRIBUTES + 1


def test_elements_past_the_cap_keep_their_text_only() -> None:
    filler = "<i></i>" * MAX_ELEMENTS
    page = f"<html><body>{filler}<p>late <b>words</b></p><script>drop()</script></body></html>"
    bounded = bound_html(page)
    assert bounded.count("<i>") == MAX_ELEMENTS - 2  # html and body count too
    assert "late" in bounded
    assert "words" in bounded
    assert "drop()" not in bounded
    assert "<b>" not in bounded


def test_the_100000_attribute_paragraph_is_extracted_fast() -> None:
    page = "<html><body><article><h1>Headline</h1><p " + _attributes(100_000) + ">"
    page += "The only paragraph of this page, long enough to be the article.</p>"
    page += "</article></body></html>"
    assert len(page) > 1_200_000
    started = time.perf_counter()
    result = extract(page, "html")
    assert time.perf_counter() - started < CAP_S
    assert "The only paragraph of this page" in result.body


@pytest.mark.parametrize("shape", sorted(set(pathological.SHAPES) - {"normal"}))
def test_pathological_pages_are_extracted_within_a_cap(shape: str) -> None:
    page = pathological.SHAPES[shape](300_000)
    started = time.perf_counter()
    extract(page, "html")
    assert time.perf_counter() - started < SHAPE_CAP_S, shape
