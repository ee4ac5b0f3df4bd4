"""Named entities with spaCy, grouped by type; the model loads once per process."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from shared.settings import get_settings

# spaCy labels folded into the types apps filter on; everything else is "other".
ENTITY_TYPES: dict[str, str] = {
    "PERSON": "person",
    "ORG": "organization",
    "NORP": "other",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "EVENT": "event",
}
_UNUSED_COMPONENTS = ("lemmatizer",)


@lru_cache(maxsize=1)
def nlp() -> Language:
    return spacy.load(get_settings().spacy_model, exclude=list(_UNUSED_COMPONENTS))


def model_version() -> str:
    meta = nlp().meta
    return f"{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}"


def entities_of(doc: Doc) -> list[dict[str, Any]]:
    """Entities of one doc: name, type, mention count and first character offset."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for ent in doc.ents:
        name = " ".join(ent.text.split())
        kind = ENTITY_TYPES.get(ent.label_, "other")
        entry = found.setdefault(
            (name, kind),
            {"name": name, "type": kind, "mentions": 0, "first_offset": ent.start_char},
        )
        entry["mentions"] += 1
    return sorted(found.values(), key=lambda e: (-e["mentions"], e["first_offset"]))


def extract_entities(texts: Iterable[str], batch_size: int = 16) -> list[list[dict[str, Any]]]:
    return [entities_of(doc) for doc in nlp().pipe(texts, batch_size=batch_size)]
