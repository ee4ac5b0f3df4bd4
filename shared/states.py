"""Article states and pipeline stages: the vocabulary every service shares."""

from __future__ import annotations

from enum import StrEnum


class ArticleState(StrEnum):
    RECEIVED = "received"
    INGESTED = "ingested"
    ENRICHED = "enriched"
    INDEXED = "indexed"
    DUPLICATE = "duplicate"
    FAILED = "failed"


class Stage(StrEnum):
    INGEST = "ingest"
    ENRICH = "enrich"
    INDEX = "index"


# The state a stage expects to find; anything else means the work is done or superseded.
STAGE_INPUT_STATE: dict[Stage, ArticleState] = {
    Stage.INGEST: ArticleState.RECEIVED,
    Stage.ENRICH: ArticleState.INGESTED,
    Stage.INDEX: ArticleState.ENRICHED,
}

FINAL_STATES = frozenset({ArticleState.INDEXED, ArticleState.DUPLICATE, ArticleState.FAILED})
