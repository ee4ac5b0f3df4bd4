"""Deterministic article identity: canonical URLs, normalised text, id precedence."""

from __future__ import annotations

import pytest

from shared.identity import (
    ID_LENGTH,
    article_id,
    content_hash,
    is_web_url,
    normalize_text,
    normalize_url,
    submission_fingerprint,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.Example.org/news/story/",
        "HTTPS://example.org/news/story?utm_source=rss&utm_medium=feed",
        "https://example.org/news/story#comments",
        "https://example.org:443/news/story?fbclid=abc",
    ],
)
def test_url_variants_of_one_page_normalise_alike(url: str) -> None:
    assert normalize_url(url) == "https://example.org/news/story"


def test_normalize_url_keeps_what_names_another_page() -> None:
    assert normalize_url("https://example.org/a?id=2&page=1") == "https://example.org/a?id=2&page=1"
    assert normalize_url("https://example.org/a?page=1&id=2") == "https://example.org/a?id=2&page=1"
    assert normalize_url("http://example.org:8080/a") == "http://example.org:8080/a"
    assert normalize_url("http://example.org/a") != normalize_url("http://example.org/b")


def test_normalize_text_ignores_case_width_and_whitespace() -> None:
    assert normalize_text("  Hello\n\n  WORLD\t!  ") == "hello world !"
    assert normalize_text("\uff46\uff55\uff4c\uff4c width") == "full width"  # NFKC
    assert content_hash("A  b\nc") == content_hash("a b c")
    assert content_hash("a b c") != content_hash("a b d")


def test_id_comes_from_external_id_then_url_then_content() -> None:
    by_external = article_id(source="wire", external_id="42", url="https://e.org/a", content="x")
    assert by_external == article_id(source="Wire ", external_id=" 42", url=None, content="y")
    # The same external id from another source is another article.
    assert by_external != article_id(source="other", external_id="42", url=None, content="x")

    by_url = article_id(
        source=None, external_id=None, url="https://e.org/a?utm_source=x", content=""
    )
    assert by_url == article_id(
        source="s", external_id=None, url="https://www.e.org/a/", content="z"
    )

    by_content = article_id(source="s", external_id=None, url=None, content="Some text")
    assert by_content == article_id(source=" S", external_id=None, url=None, content="some  TEXT")
    # Sources are namespaces: the same text from another source is another article.
    assert by_content != article_id(source="t", external_id=None, url=None, content="Some text")
    # Without a source, the id is the content hash (the ids stored before sources counted).
    assert article_id(source=None, external_id=None, url=None, content="Some text") == (
        "2896f8ce366fdc3dadaf3967b7be2726"
    )
    assert len({by_external, by_url, by_content}) == 3
    assert all(len(i) == ID_LENGTH for i in (by_external, by_url, by_content))


def test_submission_fingerprint_ignores_url_but_not_title_or_format() -> None:
    base = submission_fingerprint("text", "Body  text", "Title")
    assert base == submission_fingerprint("text", "body text", " title ")
    assert base != submission_fingerprint("html", "Body text", "Title")
    assert base != submission_fingerprint("text", "Body text", "Other title")
    assert base != submission_fingerprint("text", "Body text", None)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a", True),
        ("http://127.0.0.1:8000/x", True),
        ("ftp://example.org/a", False),
        ("javascript:alert(1)", False),
        ("example.org/a", False),
        ("http://", False),
        ("http://[::1", False),
    ],
)
def test_is_web_url(url: str, ok: bool) -> None:
    assert is_web_url(url) is ok
