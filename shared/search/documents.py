"""The search document of an article: the projection of its row into the index.

`from_db` reads only the row (extraction and enrichment JSON included), never re-runs a
stage, so the whole index can be rebuilt from the store. Missing or odd enrichment keys
degrade to empty fields instead of failing the article.

The enrich stage stores each article's document with it, serialised (`store_document`), so
the index stage and the reindex send bytes they read instead of decoding the row's JSON,
projecting and serialising it again: `document_source` takes the stored document when the
code that projected it is this code (`PROJECTION`), else projects the row as it is now.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Row, case, type_coerce

from shared import names
from shared.models import Article, utcnow
from shared.names import canonical_name, surname
from shared.search import mapping
from shared.search.mapping import ENTITY_FIELDS, LANGUAGE_ANALYZERS, OTHER_ENTITIES_FIELD
from shared.states import ArticleState

# Rows in these states are (or are about to be) in the index; `reindex` projects them all.
SEARCHABLE_STATES = (ArticleState.ENRICHED, ArticleState.INDEXED)
# The columns `from_db` reads; the raw input and dedup signatures stay in the database.
PROJECTED_COLUMNS = (
    Article.id,
    Article.revision,
    Article.state,
    Article.title,
    Article.body,
    Article.url,
    Article.canonical_url,
    Article.source,
    Article.language,
    Article.published_at,
    Article.created_at,
    Article.indexed_at,
    Article.extracted,
    Article.enrichment,
    Article.cluster_id,
    Article.duplicate_of,
)


def _projection_fingerprint() -> str:
    """The version of the projection: a digest of the code `from_db` runs (this module, the
    name rules, the mapping's field names). A change to any of them makes the documents
    stored before it stale, however small the change: they are projected afresh."""
    digest = hashlib.blake2b(digest_size=8)
    for module in (__file__, names.__file__, mapping.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


PROJECTION = _projection_fingerprint()
_CURRENT = Article.search_projection == PROJECTION
# The heavy columns `from_db` reads, when the row has no current stored document.
_PROJECTED_ONLY = (Article.title, Article.body, Article.extracted, Article.enrichment)
# What the index stage and the reindex read: the stored document when it is current, else
# the columns it is projected from (NULL where the stored document is current, so the JSON
# is neither sent nor decoded).
INDEXED_COLUMNS = (
    *(column for column in PROJECTED_COLUMNS if column not in _PROJECTED_ONLY),
    *(
        type_coerce(case((_CURRENT, None), else_=column), column.type).label(column.key)
        for column in _PROJECTED_ONLY
    ),
    type_coerce(
        case((_CURRENT, Article.search_document), else_=None), Article.search_document.type
    ).label("stored_document"),
)

# Completion inputs: every word position of a title and of each entity name, so a prefix
# may start at any word ("Alas" finds "Trump and Putin meet in Alaska"). The caps only stop
# pathological rows (a 500-word "title", thousands of entities) from bloating the FSTs.
_TITLE_SUFFIXES = 30
_SUGGESTED_ENTITIES = 200
_CANONICAL_KINDS = ("person", "organization", "place")


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
    if type(value) is int:  # the usual case, without a conversion
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _has_text(value: Any) -> bool:
    """Whether `_str(value)` is not None, without building it."""
    return value is not None and bool(str(value).strip())


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


def _canonical(kind: str, name: str) -> str:
    # Enrichment already writes canonical names; projecting through the same function lets a
    # reindex bring rows enriched before a change of the rules to the current spelling.
    if kind in _CANONICAL_KINDS:
        return canonical_name(kind, name) or name  # type: ignore[arg-type]
    return name


# The same people, places and companies come back story after story: what a name projects
# to (canonical form, keyword field, completion inputs, surname) is worked out once per
# process; the projection then mostly copies what it finds.
_NAME_CACHE_SIZE = 1 << 16


class _Name(NamedTuple):
    """What the projection makes of one entity's name and type."""

    name: str  # canonical
    kind: str
    value: str | None  # the name as a keyword value
    field: str | None  # its keyword array (None: `other_entities`)
    suggest: tuple[str, ...]  # completion inputs; empty for kinds that are not completed
    key: tuple[str, str]  # (name, kind): mentions of one entity are merged under it
    surname: tuple[str | None, str] | None  # `_surname_of` the value, for persons


def _entity_name(raw_name: Any, raw_type: Any) -> _Name | None:
    name = _str(raw_name)
    if not name:
        return None
    kind = _str(raw_type) or "other"
    canonical = _canonical(kind, name)
    field = ENTITY_FIELDS.get(kind)
    value = _str(canonical)
    # "other" (nationalities, groups: "Russian") makes poor search-box completions.
    suggest = tuple(_word_suffixes(canonical, 10)) if field else ()
    surname = _surname_of(value) if field == _PERSONS and value else None
    return _Name(canonical, kind, value, field, suggest, (canonical, kind), surname)


_cached_entity_name = lru_cache(maxsize=_NAME_CACHE_SIZE)(_entity_name)


def _project_entities(
    enrichment: dict[str, Any], doc: dict[str, Any]
) -> list[tuple[dict[str, Any], _Name]]:
    """`entities` and the keyword arrays by type into `doc`: canonical names (two spellings of
    one name become one entity), each name once, in the entities' order. Returns each
    entity with its name (for the completions)."""
    merged: dict[tuple[str, str], tuple[dict[str, Any], _Name]] = {}
    # Each keyword value with the first name that gave it (persons: the surname comes along).
    names: dict[str | None, dict[str, _Name]] = {field: {} for field in _KEYWORD_FIELDS}
    for raw in enrichment.get("entities") or []:
        if not isinstance(raw, dict):
            continue
        raw_name, raw_type = raw.get("name"), raw.get("type")
        if type(raw_name) is str and (raw_type is None or type(raw_type) is str):
            named = _cached_entity_name(raw_name, raw_type)
        else:  # odd JSON (numbers, lists): not worth a cache entry
            named = _entity_name(raw_name, raw_type)
        if named is None:
            continue
        # `_int`, inlined for the usual plain ints: this loop runs for every entity.
        mentions = raw.get("mentions")
        if type(mentions) is not int:
            mentions = _int(mentions)
        mentions = mentions or 1
        offset = raw.get("first_offset")
        if type(offset) is not int:
            offset = _int(offset)
        known = merged.get(named.key)
        if known is None:
            entity: dict[str, Any] = {
                "name": named.name,
                "type": named.kind,
                "mentions": mentions,
                "first_offset": offset,
            }
            merged[named.key] = (entity, named)
            if named.value:
                names[named.field].setdefault(named.value, named)
            continue
        entity = known[0]
        entity["mentions"] += mentions
        if offset is not None and (
            entity["first_offset"] is None or offset < entity["first_offset"]
        ):
            entity["first_offset"] = offset
    found = list(merged.values())
    doc["entities"] = [entity for entity, _ in found]
    for field in ENTITY_FIELDS.values():
        doc[field] = list(names[field])
    doc["person_surnames"] = _person_surnames(
        [n.surname for n in names[_PERSONS].values() if n.surname]
    )
    doc[OTHER_ENTITIES_FIELD] = list(names[None])
    return found


# Where each keyword value goes: one array per entity type, None for the others.
_KEYWORD_FIELDS: tuple[str | None, ...] = (*ENTITY_FIELDS.values(), None)
_PERSONS = ENTITY_FIELDS["person"]


@lru_cache(maxsize=_NAME_CACHE_SIZE)
def _surname_of(person: str) -> tuple[str | None, str] | None:
    """(surname as a keyword value, its folded form) of a person's name; None without one."""
    name = surname(person)
    return (_str(name), name.casefold()) if name else None


def _person_surnames(surnames: list[tuple[str | None, str]]) -> list[str]:
    """Surnames (`_surname_of` the article's persons) that name exactly one person of the
    article: `person=Blair` finds an article about Tony Blair, but not one about Tony and
    Cherie Blair by "Blair" alone."""
    if len(surnames) == 1:
        value = surnames[0][0]
        return [value] if value else []
    counts: dict[str, int] = {}
    for _, folded in surnames:
        counts[folded] = counts.get(folded, 0) + 1
    unique: dict[str, None] = {}
    for value, folded in surnames:
        if value and counts[folded] == 1:
            unique.setdefault(value, None)
    return list(unique)


def _speaker(value: Any) -> str | None:
    name = _str(value)
    return _str(canonical_name("person", name)) if name else None


_cached_speaker = lru_cache(maxsize=_NAME_CACHE_SIZE)(_speaker)


def _quotes(enrichment: dict[str, Any]) -> list[dict[str, Any]]:
    quotes = []
    for raw in enrichment.get("quotes") or []:
        if not isinstance(raw, dict) or not _has_text(raw.get("text")):
            continue
        speaker = raw.get("speaker")
        quotes.append(
            {
                "text": str(raw["text"]),
                "speaker": _cached_speaker(speaker) if type(speaker) is str else _speaker(speaker),
                "offset": _int(raw.get("offset")),
            }
        )
    return quotes


def _word_suffixes(text: str, count: int) -> list[str]:
    """`text` and the rest of it from each of its next `count` words: "Trump meets Putin"
    -> ["Trump meets Putin", "meets Putin", "Putin"], so a completion prefix can start at a
    later word. Words of one or two characters ("in", "a") start no completion."""
    words = text.split()
    starts = [0, *[i for i in range(1, len(words)) if len(words[i]) > 2][:count]]
    return [" ".join(words[i:]) for i in starts]


def _suggest_title(title: str, day: datetime | None) -> dict[str, Any] | None:
    if not title:
        return None
    # Newer articles first: the weight is the article's day number (recency).
    weight = (day.toordinal() - _EPOCH_DAY) if day else 0
    return {"input": _word_suffixes(title, _TITLE_SUFFIXES), "weight": max(weight, 0)}


_EPOCH_DAY = datetime(1970, 1, 1).toordinal()


def _by_mentions(pair: tuple[dict[str, Any], _Name]) -> int:
    mentions: int = pair[0]["mentions"]
    return mentions


def _suggest_entities(entities: list[tuple[dict[str, Any], _Name]]) -> list[dict[str, Any]]:
    named = [pair for pair in entities if pair[1].field]
    # Most mentioned first; a stable sort, so equal counts keep the entities' order.
    named.sort(key=_by_mentions, reverse=True)
    # The weight ranks an entity by its mentions in the article it is best known from.
    return [
        {
            "input": list(n.suggest),
            "weight": min(e["mentions"], 1000),
            "contexts": {"type": [n.kind]},
        }
        for e, n in named[:_SUGGESTED_ENTITIES]
    ]


def from_db(article: Article | Row[Any], *, indexed_at: datetime | None = None) -> dict[str, Any]:
    """The search document of `article` (or of a row of its `PROJECTED_COLUMNS`) as the store
    has it now."""
    doc = _project(article)
    doc["indexed_at"] = _iso(indexed_at or utcnow())
    return doc


def store_document(article: Article) -> None:
    """Keep `article`'s search document with it, as it is now (the enrich stage, once the
    enrichment is set): serialised, without `indexed_at`, which indexing adds."""
    article.search_document = orjson.dumps(_project(article))
    article.search_projection = PROJECTION


def document_source(row: Row[Any], indexed_at: datetime) -> bytes:
    """The serialised search document of a row of `INDEXED_COLUMNS`: its stored document with
    `indexed_at` added when the stored one is current, else the row projected now."""
    stored: bytes | None = row.stored_document
    if stored:
        # `stored` is a JSON object without this key: it goes in before the closing brace.
        return b'%s,"indexed_at":"%s"}' % (stored[:-1], indexed_at.isoformat().encode())
    return orjson.dumps(from_db(row, indexed_at=indexed_at))


def _project(article: Article | Row[Any]) -> dict[str, Any]:
    """The search document without `indexed_at`."""
    enrichment = article.enrichment or {}
    extracted = article.extracted or {}
    quotes = _quotes(enrichment)
    language = language_code(article.language) or language_code(enrichment.get("language"))
    title = article.title or ""
    body = article.body or ""
    published_at, created_at = article.published_at, article.created_at
    published, ingested = _iso(published_at), _iso(created_at)
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
        "date": published if published_at else ingested,
        "published_at": published,
        "ingested_at": ingested,
        "quotes": quotes,
        # Speakers are keyword values already (or None).
        "speakers": list(dict.fromkeys(q["speaker"] for q in quotes if q["speaker"])),
        "keywords": _strings(enrichment.get("keywords")),
        "cluster_id": article.cluster_id or article.id,
        "duplicate_of": article.duplicate_of,
        "word_count": _int(enrichment.get("word_count")),
        "reading_time_min": _int(enrichment.get("reading_time_min")),
        "suggest_title": _suggest_title(title, published_at or created_at),
    }
    doc["suggest_entity"] = _suggest_entities(_project_entities(enrichment, doc))
    suffix = language_suffix(language)
    if suffix:
        doc[f"title_{suffix}"] = title
        doc[f"body_{suffix}"] = body
    return doc
