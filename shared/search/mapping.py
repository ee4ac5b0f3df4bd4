"""The index mapping: defined here once, installed as an index template.

Apps that query the index directly rely on it: docs/index-contract.md documents every field.
Bump MAPPING_VERSION on any change; `newsflow reindex` then builds the new index from SQL.
"""

from __future__ import annotations

from typing import Any

MAPPING_VERSION = 1

_KEYWORD = {"type": "keyword", "ignore_above": 512}
_TEXT_EN = {"type": "text", "analyzer": "english", "fields": {"keyword": _KEYWORD}}


def _entity_objects() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "name": _KEYWORD,
            "type": {"type": "keyword"},
            "mentions": {"type": "integer"},
        },
    }


INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "refresh_interval": "1s",
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "article_id": {"type": "keyword"},
        "revision": {"type": "integer"},
        "title": {**_TEXT_EN, "fields": {"keyword": _KEYWORD}},
        "body": {"type": "text", "analyzer": "english"},
        "url": {"type": "keyword", "index": False},
        "canonical_url": {"type": "keyword"},
        "source": {"type": "keyword"},
        "site_name": {"type": "keyword"},
        "authors": {"type": "keyword"},
        "language": {"type": "keyword"},
        "published_at": {"type": "date"},
        "ingested_at": {"type": "date"},
        "indexed_at": {"type": "date"},
        "persons": {"type": "keyword"},
        "organizations": {"type": "keyword"},
        "places": {"type": "keyword"},
        "events": {"type": "keyword"},
        "other_entities": {"type": "keyword"},
        "entities": _entity_objects(),
        "cluster_id": {"type": "keyword"},
        "word_count": {"type": "integer"},
    },
}


def index_template(alias: str) -> dict[str, Any]:
    """Template for every versioned index behind `alias` (`{alias}-v{N}`)."""
    return {
        "index_patterns": [f"{alias}-v*"],
        "template": {"settings": INDEX_SETTINGS, "mappings": MAPPINGS},
        "priority": 100,
        "_meta": {"mapping_version": MAPPING_VERSION},
    }
