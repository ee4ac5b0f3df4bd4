"""The search document of an article: the projection of its row into the index.

`from_db` reads only the row (extraction and enrichment JSON included), never re-runs a
stage, so the whole index can be rebuilt from the store. Missing or odd enrichment keys
degrade to empty fields instead of failing the article.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.models import Article, utcnow
from shared.search.mapping import ENTITY_FIELDS, LANGUAGE_ANALYZERS, OTHER_ENTITIES_FIELD
from shared.states import ArticleState

# Rows in these states are (or are about to be) in the index; `reindex` projects them all.
SEARCHABLE_STATES = (ArticleState.ENRICHED, ArticleState.INDEXED)

# Completion inputs: enough for "type a later word of a title" and an article's main names,
# few enough that the suggester's FSTs stay a small part of indexing time (they were a third
# of it with every entity of a news article).
_TITLE_SUFFIXES = 3
_SUGGESTED_ENTITIES = 10


def language_code(value: str | None) -> str | None:
    """ "en-GB", "EN", "en_US" -> "en"; None for nothing usable."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return code or None


def language_suffix(language: str | None) -> str | None:
    """Suffix of the language-analysed fields (`body_<suffix>`), None if no analyzer fits."""
    entry = LANGUAGE_ANALYZERS.get(language_code(language) or "")
    return entry[0] if entry else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _strings(values: Any) -> list[str]:
    if not isinstance(values, list):
        values = [values] if values else []
    seen: dict[str, None] = {}
    for value in values:
        text = _str(value)
        if text:
            seen.setdefault(text, None)
    return list(seen)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _entities(enrichment: dict[str, Any]) -> list[dict[str, Any]]:
    entities = []
    for raw in enrichment.get("entities") or []:
        if not isinstance(raw, dict):
            continue
        name = _str(raw.get("name"))
        if not name:
            continue
        entities.append(
            {
                "name": name,
                "type": _str(raw.get("type")) or "other",
                "mentions": _int(raw.get("mentions")) or 1,
                "first_offset": _int(raw.get("first_offset")),
            }
        )
    return entities


def _quotes(enrichment: dict[str, Any]) -> list[dict[str, Any]]:
    quotes = []
    for raw in enrichment.get("quotes") or []:
        if not isinstance(raw, dict) or not _str(raw.get("text")):
            continue
        quotes.append(
            {
                "text": str(raw["text"]),
                "speaker": _str(raw.get("speaker")),
                "offset": _int(raw.get("offset")),
            }
        )
    return quotes


def _word_suffixes(text: str, count: int) -> list[str]:
    """`text` and the rest of it from each of its next `count` words: "Trump meets Putin"
    -> ["Trump meets Putin", "meets Putin", "Putin"], so a completion prefix can start at a
    later word."""
    words = text.split()
    starts = [0, *[i for i in range(1, len(words)) if len(words[i]) > 2][:count]]
    return [" ".join(words[i:]) for i in starts]


def _suggest_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # "other" (nationalities, groups: "Russian") makes poor search-box completions.
    named = [e for e in entities if e["type"] in ENTITY_FIELDS]
    top = sorted(named, key=lambda e: -e["mentions"])[:_SUGGESTED_ENTITIES]
    return [
        {
            "input": _word_suffixes(e["name"], 2),
            "weight": min(e["mentions"], 1000),
            "contexts": {"type": [e["type"]]},
        }
        for e in top
    ]


def from_db(article: Article, *, indexed_at: datetime | None = None) -> dict[str, Any]:
    """The search document of `article` as the store has it now."""
    enrichment = article.enrichment or {}
    extracted = article.extracted or {}
    entities = _entities(enrichment)
    quotes = _quotes(enrichment)
    language = language_code(article.language) or language_code(enrichment.get("language"))
    title = article.title or ""
    body = article.body or ""
    doc: dict[str, Any] = {
        "article_id": article.id,
        "revision": article.revision,
        "title": title,
        "body": body,
        "summary": _str(enrichment.get("summary")),
        "description": _str(extracted.get("description")),
        "headings": _strings(extracted.get("headings")),
        "dateline": _str(extracted.get("dateline")),
        "url": article.url,
        "canonical_url": article.canonical_url,
        "image": _str(extracted.get("image")),
        "source": article.source,
        "site_name": _str(extracted.get("site_name")),
        "authors": _strings(extracted.get("authors")),
        "tags": _strings(extracted.get("tags")),
        "language": language,
        "language_confidence": enrichment.get("language_confidence"),
        # What "newest" sorts by: the publication date, else when we received the article.
        "date": _iso(article.published_at or article.created_at),
        "published_at": _iso(article.published_at),
        "ingested_at": _iso(article.created_at),
        "indexed_at": _iso(indexed_at or utcnow()),
        "entities": entities,
        "quotes": quotes,
        "speakers": _strings([q["speaker"] for q in quotes]),
        "keywords": _strings(enrichment.get("keywords")),
        "cluster_id": article.cluster_id or article.id,
        "duplicate_of": article.duplicate_of,
        "word_count": _int(enrichment.get("word_count")),
        "reading_time_min": _int(enrichment.get("reading_time_min")),
        "suggest_title": {"input": _word_suffixes(title, _TITLE_SUFFIXES)} if title else None,
        "suggest_entity": _suggest_entities(entities),
    }
    for kind, field in ENTITY_FIELDS.items():
        doc[field] = _strings([e["name"] for e in entities if e["type"] == kind])
    doc[OTHER_ENTITIES_FIELD] = _strings(
        [e["name"] for e in entities if e["type"] not in ENTITY_FIELDS]
    )
    suffix = language_suffix(language)
    if suffix:
        doc[f"title_{suffix}"] = title
        doc[f"body_{suffix}"] = body
    return doc
