"""The index mapping: defined here once, installed as an index template.

Apps that query the index directly rely on it: docs/index-contract.md documents every field.
Bump MAPPING_VERSION on any change; `newsflow index init` (or `newsflow reindex`) then builds
a new index from the SQL store and swaps the alias.

Language-aware text: every article has `title` and `body` analysed by `folding` (standard
tokenizer, lowercase, ASCII folding), which works for any language. In addition the projection
copies them into `title_<lang>`/`body_<lang>` for the article's own language only, analysed
with that language's analyzer (stemming, stop words). Queries search both, so one query finds
"banks" in English articles as "bank", "Häuser" in German ones as "Haus", and still matches
exact words in articles of a language without an analyzer. Indexing each article with one
language analyzer (not all of them as multi-fields) keeps indexing cheap and scores honest.

Only analyzers and filters that exist both in the official Elasticsearch image and in our
local node's analysis plugin are used (see infra/elasticsearch/README.md).
"""

from __future__ import annotations

from typing import Any

MAPPING_VERSION = 4

# ISO 639-1 code -> (field suffix, Elasticsearch language analyzer).
LANGUAGE_ANALYZERS: dict[str, tuple[str, str]] = {
    "ar": ("ar", "arabic"),
    "bg": ("bg", "bulgarian"),
    "ca": ("ca", "catalan"),
    "cs": ("cs", "czech"),
    "da": ("da", "danish"),
    "de": ("de", "german"),
    "el": ("el", "greek"),
    "en": ("en", "english"),
    "es": ("es", "spanish"),
    "et": ("et", "estonian"),
    "fa": ("fa", "persian"),
    "fi": ("fi", "finnish"),
    "fr": ("fr", "french"),
    "ga": ("ga", "irish"),
    "hi": ("hi", "hindi"),
    "hu": ("hu", "hungarian"),
    "id": ("id", "indonesian"),
    "it": ("it", "italian"),
    "lt": ("lt", "lithuanian"),
    "lv": ("lv", "latvian"),
    "nl": ("nl", "dutch"),
    "no": ("no", "norwegian"),
    "nb": ("no", "norwegian"),
    "nn": ("no", "norwegian"),
    "pt": ("pt", "portuguese"),
    "ro": ("ro", "romanian"),
    "ru": ("ru", "russian"),
    "sv": ("sv", "swedish"),
    "tr": ("tr", "turkish"),
    # The standard tokenizer makes single-character tokens of CJK text; cjk makes bigrams.
    "zh": ("cjk", "cjk"),
    "ja": ("cjk", "cjk"),
    "ko": ("cjk", "cjk"),
}
LANGUAGE_SUFFIXES: dict[str, str] = dict(sorted(set(LANGUAGE_ANALYZERS.values())))

# Entity type (enrichment) -> keyword field of the search document.
ENTITY_FIELDS: dict[str, str] = {
    "person": "persons",
    "organization": "organizations",
    "place": "places",
    "event": "events",
}
OTHER_ENTITIES_FIELD = "other_entities"

_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 512}
# Keyword arrays that are filtered on and aggregated: exact values for facets, a folded
# sub-field for case/accent-insensitive filters, a text sub-field for full-text queries.
_NAME_KEYWORD: dict[str, Any] = {
    **_KEYWORD,
    "fields": {
        "folded": {**_KEYWORD, "normalizer": "folding"},
        "text": {"type": "text", "analyzer": "folding"},
    },
}


# Speakers of quotes: exact and folded only; words in names are searched on `speakers.text`.
_QUOTE_SPEAKER: dict[str, Any] = {
    **_KEYWORD,
    "fields": {"folded": {**_KEYWORD, "normalizer": "folding"}},
}


def _language_text_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for suffix, analyzer in LANGUAGE_SUFFIXES.items():
        # Stored (and left out of _source) so the highlighter can read the text without
        # apps seeing every body twice in `_source`; offsets make highlighting long bodies
        # cheap (no re-analysis, no `max_analyzed_offset` limit).
        fields[f"title_{suffix}"] = {
            "type": "text",
            "analyzer": analyzer,
            "store": True,
            "index_options": "offsets",
        }
        fields[f"body_{suffix}"] = {
            "type": "text",
            "analyzer": analyzer,
            "store": True,
            "index_options": "offsets",
        }
    return fields


ANALYSIS: dict[str, Any] = {
    "analyzer": {
        "folding": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding"],
        },
    },
    "normalizer": {
        "folding": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
    },
}

INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    # One replica as soon as a second node joins; green on a single node.
    "auto_expand_replicas": "0-1",
    "refresh_interval": "1s",
    "analysis": ANALYSIS,
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"mapping_version": MAPPING_VERSION},
    # Language copies and suggester inputs are index structures, not content apps read.
    "_source": {"excludes": ["title_*", "body_*", "suggest_*", "person_surnames"]},
    "properties": {
        "article_id": {"type": "keyword"},
        "revision": {"type": "integer"},
        "title": {
            "type": "text",
            "analyzer": "folding",
            "index_options": "offsets",
            "fields": {"keyword": _KEYWORD},
        },
        "body": {"type": "text", "analyzer": "folding", "index_options": "offsets"},
        **_language_text_fields(),
        "summary": {"type": "text", "analyzer": "folding"},
        "description": {"type": "text", "analyzer": "folding"},
        "headings": {"type": "text", "analyzer": "folding"},
        "dateline": {**_KEYWORD, "fields": {"text": {"type": "text", "analyzer": "folding"}}},
        "url": {"type": "keyword", "index": False},
        "canonical_url": {"type": "keyword"},
        "image": {"type": "keyword", "index": False},
        "source": _NAME_KEYWORD,
        "site_name": _NAME_KEYWORD,
        "authors": _NAME_KEYWORD,
        "tags": _NAME_KEYWORD,
        "language": {"type": "keyword"},
        "language_confidence": {"type": "float"},
        "date": {"type": "date"},
        "published_at": {"type": "date"},
        "ingested_at": {"type": "date"},
        "indexed_at": {"type": "date"},
        **dict.fromkeys(ENTITY_FIELDS.values(), _NAME_KEYWORD),
        OTHER_ENTITIES_FIELD: _NAME_KEYWORD,
        # Surnames naming exactly one person of the article, folded: what `person=Blair`
        # matches besides the full names (shared/names.py says what a surname is).
        "person_surnames": {**_KEYWORD, "normalizer": "folding"},
        # Every entity with its type and counts, for apps to read: not indexed. Filters and
        # facets use the keyword arrays above. (Up to v3 these, and quotes, were nested: ~20
        # hidden Lucene documents per article that every query and aggregation had to skip,
        # for a pairing no search of the API used.)
        "entities": {"type": "object", "enabled": False},
        # Plain objects: `quotes.text` and `quotes.speaker` are searchable, but not as pairs
        # (filter on `speakers`, read the pairs from `_source`).
        "quotes": {
            "properties": {
                "text": {"type": "text", "analyzer": "folding"},
                "speaker": _QUOTE_SPEAKER,
                "offset": {"type": "integer", "index": False},
            },
        },
        "speakers": _NAME_KEYWORD,
        "keywords": _NAME_KEYWORD,
        "cluster_id": {"type": "keyword"},
        "duplicate_of": {"type": "keyword"},
        "word_count": {"type": "integer"},
        "reading_time_min": {"type": "integer"},
        "suggest_title": {"type": "completion", "analyzer": "folding", "max_input_length": 100},
        "suggest_entity": {
            "type": "completion",
            "analyzer": "folding",
            "max_input_length": 100,
            "contexts": [{"name": "type", "type": "category"}],
        },
    },
}


def index_template(alias: str) -> dict[str, Any]:
    """Template for every versioned index behind `alias` (`{alias}-v{N}-...`)."""
    return {
        "index_patterns": [f"{alias}-v*"],
        "template": {"settings": INDEX_SETTINGS, "mappings": MAPPINGS},
        "priority": 100,
        "_meta": {"mapping_version": MAPPING_VERSION, "alias": alias},
    }
