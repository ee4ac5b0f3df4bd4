"""HTML pages: the article's paragraphs and headings via trafilatura, metadata via it and htmldate.

trafilatura finds the main content and normalises it to a small XML vocabulary (`p`, `head`,
`list`/`item`, `quote`, `lb`...), which we walk to keep paragraphs and headings apart. Its
metadata reader covers Open Graph, JSON-LD and common meta tags; we add what it leaves out:
the publication time (not only the day), the canonical link and the page's language.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from services.ingest.cleaning import clean_line, join_paragraphs
from services.ingest.dates import parse_date
from services.ingest.extracted import Extracted

# htmldate keeps the time of day when asked for it; trafilatura only asks for the day.
_DATE_PARAMS = {
    "original_date": True,
    "extensive_search": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
)
_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|NewsArticle|LiveBlogPosting")
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(?=$|[-_])")
_FRAGMENT = re.compile(r"<(?:html|body)[\s>]", re.IGNORECASE)


def _text_of(element: etree._Element) -> str:
    """An element's text with <lb/> as a line break."""
    parts: list[str] = []
    for node in element.iter():
        if node.tag == "lb":
            parts.append("\n")
        elif node is element or node.tag not in ("p", "head", "list"):
            parts.append(node.text or "")
        if node is not element:
            parts.append(node.tail or "")
    return "\n".join(clean_line(line) for line in "".join(parts).split("\n")).strip()


def _walk(body: etree._Element, title: str | None) -> tuple[list[str], list[str]]:
    """(paragraphs, headings) in document order."""
    paragraphs: list[str] = []
    headings: list[str] = []
    for element in body:
        tag = element.tag
        if tag == "head":
            text = clean_line("".join(element.itertext()))
            if text and text != title:
                headings.append(text)
        elif tag == "list":
            items = [_text_of(item) for item in element.iter("item")]
            paragraphs.append("\n".join(i for i in items if i))
        elif tag in ("quote", "div", "section") and len(element):
            inner, inner_headings = _walk(element, title)
            paragraphs.extend(inner)
            headings.extend(inner_headings)
        elif tag not in ("table", "graphic"):
            paragraphs.append(_text_of(element))
    return [p for p in paragraphs if p], headings


def _meta(tree: HtmlElement, names: tuple[str, ...]) -> str | None:
    for meta in tree.iterfind(".//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in names and (content := meta.get("content", "").strip()):
            return content
    return None


def _json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = orjson.loads(script.text or "")
        except orjson.JSONDecodeError:
            continue  # a broken block on one page is common and harmless
        stack = [data]
        while stack:
            value = stack.pop()
            if isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, dict):
                objects.append(value)
                stack.extend(v for k, v in value.items() if k in ("@graph", "mainEntity"))
    return objects


def _article_ld(tree: HtmlElement) -> dict[str, Any]:
    for obj in _json_ld_objects(tree):
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds):
            return obj
    return {}


def _published_at(tree: HtmlElement, article: dict[str, Any], fallback: str | None) -> Any:
    """The first parseable of: JSON-LD, meta tags, htmldate's finding (with the time)."""
    for value in (article.get("datePublished"), _meta(tree, _PUBLISHED_META), fallback):
        if isinstance(value, str) and (parsed := parse_date(value)) is not None:
            return parsed
    return None


def _language(tree: HtmlElement, article: dict[str, Any]) -> str | None:
    for value in (
        article.get("inLanguage"),
        tree.get("lang"),
        _meta(tree, ("og:locale", "content-language", "language", "dc.language")),
    ):
        if isinstance(value, str) and (match := _LANGUAGE.match(value.strip())):
            return match.group(0).lower()
    return None


def _canonical_url(tree: HtmlElement, fallback: str | None) -> str | None:
    for link in tree.iterfind(".//link[@rel][@href]"):
        if "canonical" in link.get("rel", "").lower().split():
            href = link.get("href", "").strip()
            if href.startswith(("http://", "https://")):
                return href
    return fallback


def _authors(value: str | None) -> list[str]:
    names = (clean_line(a) for a in (value or "").split(";"))
    return list(dict.fromkeys(n for n in names if n))


def extract_html(html: str, *, url: str | None = None) -> Extracted:
    if not _FRAGMENT.search(html[:5000]):
        html = f"<html><body><article>{html}</article></body></html>"  # a bare fragment
    tree = load_html(html)
    if tree is None:
        return Extracted(title=None, body="")
    article = _article_ld(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params=_DATE_PARAMS,
    )
    if document is None or isinstance(document, dict):
        return Extracted(title=None, body="")
    title = clean_line(document.title or "") or None
    paragraphs, headings = _walk(document.body, title) if document.body is not None else ([], [])
    return Extracted(
        title=title,
        body=join_paragraphs(paragraphs),
        headings=headings,
        authors=_authors(document.author),
        published_at=_published_at(tree, article, document.date),
        site_name=clean_line(document.sitename or "") or None,
        canonical_url=_canonical_url(tree, document.url or url),
        description=clean_line(document.description or "") or None,
        image=document.image,
        tags=list(dict.fromkeys(clean_line(t) for t in (document.tags or []) if t.strip())),
        language=_language(tree, article),
    )
