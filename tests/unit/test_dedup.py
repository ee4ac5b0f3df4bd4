"""MinHash near-duplicate detection: signatures, bands, and the store-backed batch check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from services.ingest.dedup import (
    MIN_WORDS,
    BatchDeduplicator,
    band_keys,
    current_scheme,
    decode_signature,
    encode_signature,
    lsh_scheme,
    signature,
    similarity,
)
from shared.db import make_engine
from shared.identity import content_hash
from shared.models import Article, ArticleBand
from shared.states import ArticleState

DEDUP = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "dedup"


def body(name: str) -> str:
    """The fixture's text without its title line."""
    return (DEDUP / name).read_text().split("\n", 1)[1].strip()


ORIGINAL = body("lighthouse-original.txt")
EDITED = body("lighthouse-edited.txt")
UNRELATED = body("ferry-unrelated.txt")


def test_similar_bodies_score_high_and_unrelated_ones_low() -> None:
    scheme = current_scheme()
    original, edited, unrelated = (signature(t, scheme) for t in (ORIGINAL, EDITED, UNRELATED))
    assert original is not None
    assert edited is not None
    assert unrelated is not None
    assert similarity(original, original) == 1.0
    assert similarity(original, edited) >= scheme.threshold  # a lightly edited copy
    assert similarity(original, unrelated) < 0.1
    # Case, punctuation and whitespace do not make a different text.
    respaced = signature(ORIGINAL.upper().replace(". ", " .  "), scheme)
    assert respaced is not None
    assert similarity(original, respaced) == 1.0


def test_short_texts_get_no_signature() -> None:
    short = " ".join(["word"] * (MIN_WORDS - 1))
    assert signature(short, current_scheme()) is None
    assert signature("", current_scheme()) is None


def test_signature_round_trips_through_its_stored_form() -> None:
    scheme = current_scheme()
    original = signature(ORIGINAL, scheme)
    assert original is not None
    data = encode_signature(original)
    assert len(data) == 4 * scheme.num_perm
    decoded = decode_signature(data, scheme)
    assert decoded is not None
    assert similarity(original, decoded) == 1.0
    assert band_keys(decoded, scheme) == band_keys(original, scheme)
    # A signature stored under another num_perm is not comparable: ignored, not misread.
    assert decode_signature(data, lsh_scheme(scheme.threshold, 64)) is None


def test_bands_are_stable_and_specific_to_the_scheme() -> None:
    scheme = current_scheme()
    original, edited = signature(ORIGINAL, scheme), signature(EDITED, scheme)
    assert original is not None
    assert edited is not None
    keys = band_keys(original, scheme)
    assert len(keys) == len(scheme.hashranges) == len(set(keys))
    assert all(-(2**63) <= k < 2**63 for k in keys)
    assert set(keys) & set(band_keys(edited, scheme)), "near copies share at least one band"
    other = lsh_scheme(0.8, scheme.num_perm)
    assert not set(keys) & set(band_keys(signature(ORIGINAL, other) or original, other))


# --- the batch check against a store ----------------------------------------------------------


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def _article(article_id: str, text: str, title: str = "A title") -> Article:
    return Article(
        id=article_id,
        input_format="text",
        raw_content=text,
        raw_hash=article_id,
        state=ArticleState.RECEIVED,
        title=title,
        body=text,
        content_hash=content_hash(f"{title}\n{text}"),
        submitted={},
        extracted={},
        enrichment={},
    )


def _run_batch(engine: Engine, articles: list[Article]) -> dict[str, tuple[str, str, str] | None]:
    """Dedup a batch the way the ingest stage does, in a session of its own (a 'worker')."""
    outcome: dict[str, tuple[str, str, str] | None] = {}
    with Session(engine) as session:
        session.add_all(articles)
        session.flush()
        dedup = BatchDeduplicator(session, articles)
        for article in articles:
            match = dedup.check(article)
            article.cluster_id = match.cluster_id if match else article.id
            article.duplicate_of = match.of if match else None
            article.state = ArticleState.INGESTED
            if match is not None and match.kind == "exact":
                article.state = ArticleState.DUPLICATE
            dedup.add(article, match)
            outcome[article.id] = (match.kind, match.of, match.cluster_id) if match else None
        dedup.save(a.id for a in articles)
        session.commit()
    return outcome


def test_near_copies_are_found_across_sessions_through_the_stored_bands(engine: Engine) -> None:
    assert _run_batch(engine, [_article("a" * 32, ORIGINAL)]) == {"a" * 32: None}
    # Another session (as another worker process would) finds it through article_bands.
    outcome = _run_batch(
        engine,
        [
            _article("b" * 32, EDITED, title="Another title"),
            _article("c" * 32, UNRELATED),
            _article("d" * 32, ORIGINAL),  # same title and body: an exact copy
        ],
    )
    assert outcome == {
        "b" * 32: ("near", "a" * 32, "a" * 32),
        "c" * 32: None,
        "d" * 32: ("exact", "a" * 32, "a" * 32),
    }
    with Session(engine) as session:
        banded = dict(
            session.execute(
                select(ArticleBand.article_id, func.count()).group_by(ArticleBand.article_id)
            )
            .tuples()
            .all()
        )
    bands = len(current_scheme().hashranges)
    # Exact copies keep no bands: their original already matches whatever would match them.
    assert banded == {"a" * 32: bands, "b" * 32: bands, "c" * 32: bands}


def test_copies_within_one_batch_point_at_the_first(engine: Engine) -> None:
    outcome = _run_batch(
        engine,
        [_article("a" * 32, ORIGINAL), _article("b" * 32, EDITED, title="Edited copy")],
    )
    assert outcome == {"a" * 32: None, "b" * 32: ("near", "a" * 32, "a" * 32)}


def test_a_revised_original_is_not_a_copy_of_itself_or_of_its_copies(engine: Engine) -> None:
    _run_batch(engine, [_article("a" * 32, ORIGINAL)])
    _run_batch(engine, [_article("b" * 32, EDITED, title="Edited copy")])
    with Session(engine) as session:
        original = session.get(Article, "a" * 32)
        assert original is not None
        # A new revision arrives with the copy's text: still the story's original.
        original.state = ArticleState.RECEIVED
        original.body = EDITED
        original.content_hash = content_hash(f"Edited copy\n{EDITED}")
        session.flush()
        dedup = BatchDeduplicator(session, [original])
        assert dedup.check(original) is None


def test_a_short_notice_has_only_exact_copies_found_across_batches(engine: Engine) -> None:
    # Too short for a signature: only the content hash is looked up (no band keys at all).
    notice = "The bridge on Mill Road is closed until Friday for repairs."
    assert len(notice.split()) < MIN_WORDS
    assert _run_batch(engine, [_article("a" * 32, notice)]) == {"a" * 32: None}
    outcome = _run_batch(
        engine, [_article("b" * 32, notice), _article("c" * 32, notice, title="Other")]
    )
    assert outcome == {"b" * 32: ("exact", "a" * 32, "a" * 32), "c" * 32: None}
