"""Enrichment of a batch of clean articles: the plain function behind the enrich stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.enrich.entities import extract_entities, model_version
from services.enrich.language import detect_language

WORDS_PER_MINUTE = 230


@dataclass(frozen=True)
class ArticleText:
    title: str | None
    body: str


def enrich_texts(articles: list[ArticleText]) -> list[dict[str, Any]]:
    """One enrichment dict per article, computed in one batch (spaCy `nlp.pipe`)."""
    texts = [f"{a.title}\n\n{a.body}" if a.title else a.body for a in articles]
    entities = extract_entities(texts)
    version = model_version()
    results = []
    for article, text, ents in zip(articles, texts, entities, strict=True):
        language = detect_language(text)
        words = len(article.body.split())
        results.append(
            {
                "language": language.code,
                "language_confidence": language.confidence,
                "entities": ents,
                "word_count": words,
                "reading_time_min": max(1, round(words / WORDS_PER_MINUTE)),
                "models": {"entities": version, "language": "lingua"},
            }
        )
    return results
