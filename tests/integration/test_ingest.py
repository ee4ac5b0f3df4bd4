"""The ingest stage on the real PostgreSQL store: each input kind, failures, dedup, revisions.

Stage functions are called directly (no workers): submit through the door every client
uses, then run `ingest_articles` on the ids, as an ingest worker would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.ingest.dedup import current_scheme
from services.ingest.stage import ingest_articles
from shared.models import Article, ArticleBand
from shared.schemas import ArticleIn
from shared.states import ArticleState
from shared.submission import submit_articles
from shared.views import article_view
from tests.support import FIXTURES

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_store")]

DOORS = FIXTURES / "ingest" / "doors"
DEDUP = FIXTURES / "ingest" / "dedup"


@pytest.fixture
def session(stack: dict[str, str]) -> Iterator[Session]:
    from shared.db import get_sessionmaker

    db = get_sessionmaker()()
    yield db
    db.close()


def read(path: Path) -> dict[str, str]:
    return {"html" if path.suffix == ".html" else "text": path.read_text()}


def submit(session: Session, **fields: Any) -> str:
    result = submit_articles(session, [ArticleIn(**fields)])[0]
    assert result.status in ("accepted", "revised"), result
    assert result.id is not None
    return result.id


def ingest(session: Session, *ids: str) -> list[str]:
    ready = ingest_articles(session, list(ids))
    session.expire_all()
    return ready


def row(session: Session, article_id: str) -> Article:
    article = session.get(Article, article_id)
    assert article is not None
    return article


def bands_of(session: Session, article_id: str) -> int:
    return session.scalar(select(func.count()).where(ArticleBand.article_id == article_id)) or 0


# --- input kinds and failures ------------------------------------------------------------------


def test_plain_text_becomes_an_ingested_article(session: Session) -> None:
    article_id = submit(session, **read(DOORS / "story.txt"), source="herald")
    assert ingest(session, article_id) == [article_id]
    article = row(session, article_id)
    assert article.state == ArticleState.INGESTED
    assert article.title == "Town Council Approves New Cycle Lane on Market Street"
    assert article.body is not None
    assert article.body.startswith("The town council voted nine to two")
    assert (article.cluster_id, article.duplicate_of) == (article_id, None)
    assert bands_of(session, article_id) == len(current_scheme().hashranges)


def test_html_page_with_metadata_becomes_an_ingested_article(session: Session) -> None:
    article_id = submit(
        session,
        **read(DOORS / "page.html"),
        url="https://valley-herald.example.org/news/library-reopens?utm_source=feed",
        published_at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
        language="en",
        source="valley-herald",
    )
    assert ingest(session, article_id) == [article_id]
    article = row(session, article_id)
    assert article.state == ArticleState.INGESTED
    assert article.title == "Library reopens after flood repairs"
    assert article.body is not None
    assert "eight thousand books" in article.body
    assert "All rights reserved" not in article.body
    assert article.canonical_url == "https://valley-herald.example.org/news/library-reopens"
    assert article.published_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert article.language == "en"


def test_html_without_an_article_fails_with_no_article_text(session: Session) -> None:
    article_id = submit(session, **read(DOORS / "no-article.html"))
    assert ingest(session, article_id) == []
    view = article_view(row(session, article_id))
    assert view["state"] == "failed"
    assert view["failure"]["stage"] == "ingest"
    assert view["failure"]["reason"] == "no_article_text"


def test_an_extraction_crash_fails_that_article_only(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.ingest.stage as stage
    from services.ingest.extraction import extract as real_extract

    def extract(content: str, input_format: str, *, url: str | None = None) -> Any:
        if "cycle lane" in content:
            raise RecursionError("parser blew up")
        return real_extract(content, input_format, url=url)

    monkeypatch.setattr(stage, "extract", extract)
    bad = submit(session, **read(DOORS / "story.txt"))
    good = submit(session, **read(DOORS / "page.html"))
    assert ingest(session, bad, good) == [good]
    assert row(session, bad).state == ArticleState.FAILED
    assert row(session, bad).error_class == "extraction_error"
    assert "RecursionError" in (row(session, bad).error or "")
    assert row(session, good).state == ArticleState.INGESTED


def test_ingest_is_idempotent(session: Session) -> None:
    article_id = submit(session, **read(DOORS / "story.txt"))
    assert ingest(session, article_id) == [article_id]
    # A redelivered message finds the article no longer `received`: nothing to do.
    assert ingest(session, article_id) == []
    assert row(session, article_id).state == ArticleState.INGESTED


# --- exact and near duplicates ------------------------------------------------------------------


@pytest.mark.parametrize("same_batch", [False, True], ids=["separate", "same-batch"])
def test_exact_copy_after_extraction_stops_at_duplicate(session: Session, same_batch: bool) -> None:
    # Two sites, one story: the pages differ (other chrome), the article does not.
    original = submit(
        session, **read(DEDUP / "lighthouse-page.html"), url="https://gazette.example/a"
    )
    if not same_batch:
        ingest(session, original)
    mirror = submit(
        session, **read(DEDUP / "lighthouse-mirror.html"), url="https://north.example/b"
    )
    ready = ingest(session, original, mirror) if same_batch else ingest(session, mirror)
    assert mirror not in ready
    copy = row(session, mirror)
    assert copy.state == ArticleState.DUPLICATE
    assert (copy.duplicate_of, copy.duplicate_kind, copy.cluster_id) == (
        original,
        "exact",
        original,
    )
    assert bands_of(session, mirror) == 0
    view = article_view(copy)
    assert view["duplicate"] == {"of": original, "kind": "exact", "similarity": 1.0}


def test_near_copies_go_on_with_the_cluster_of_their_story(session: Session) -> None:
    original = submit(
        session, **read(DEDUP / "lighthouse-page.html"), url="https://gazette.example/a"
    )
    ingest(session, original)
    copies = {
        "edited": submit(session, **read(DEDUP / "lighthouse-edited.txt")),
        "syndicated": submit(
            session, **read(DEDUP / "lighthouse-syndicated.html"), url="https://courier.example/c"
        ),
        "as text": submit(session, **read(DEDUP / "lighthouse-original.txt")),
    }
    unrelated = submit(session, **read(DEDUP / "ferry-unrelated.txt"))
    ready = ingest(session, *copies.values(), unrelated)
    # Near copies are indexed too (search collapses them on cluster_id).
    assert set(ready) == {*copies.values(), unrelated}
    for name, copy_id in copies.items():
        copy = row(session, copy_id)
        assert copy.state == ArticleState.INGESTED, name
        assert (copy.duplicate_kind, copy.cluster_id) == ("near", original), name
        assert copy.duplicate_of in (original, *copies.values()), name
        assert copy.similarity is not None
        assert copy.similarity >= current_scheme().threshold, name
    # The syndicated page has the original's body under another title: ~identical body.
    syndicated = row(session, copies["syndicated"])
    assert (syndicated.duplicate_of, syndicated.similarity) == (original, 1.0)
    other = row(session, unrelated)
    assert (other.cluster_id, other.duplicate_of, other.duplicate_kind) == (unrelated, None, None)


# --- revisions ----------------------------------------------------------------------------------


def test_revision_of_the_original_stays_the_original(session: Session) -> None:
    url = "https://gazette.example/lighthouse"
    original = submit(session, **read(DEDUP / "lighthouse-original.txt"), url=url)
    ingest(session, original)
    copy = submit(session, **read(DEDUP / "lighthouse-edited.txt"), url="https://other.example/x")
    ingest(session, copy)
    assert row(session, copy).duplicate_of == original

    # The original is corrected: same id, new revision, through ingest again.
    corrected = (
        (DEDUP / "lighthouse-original.txt").read_text().replace("six winters", "seven winters")
    )
    result = submit_articles(session, [ArticleIn(text=corrected, url=url)])[0]
    assert (result.id, result.status, result.revision) == (original, "revised", 2)
    assert ingest(session, original) == [original]
    article = row(session, original)
    assert article.revision == 2
    assert "seven winters" in (article.body or "")
    # Not a duplicate of its own previous revision, nor of its copy.
    assert (article.state, article.duplicate_of, article.cluster_id) == (
        ArticleState.INGESTED,
        None,
        original,
    )
    assert bands_of(session, original) == len(current_scheme().hashranges)  # replaced, not added
    assert row(session, copy).cluster_id == original

    # Even a revision with the copy's very text stays the story's original.
    edited = (DEDUP / "lighthouse-edited.txt").read_text()
    assert submit_articles(session, [ArticleIn(text=edited, url=url)])[0].status == "revised"
    ingest(session, original)
    article = row(session, original)
    assert (article.state, article.duplicate_of, article.cluster_id) == (
        ArticleState.INGESTED,
        None,
        original,
    )


def test_indexed_article_revised_into_a_copy_still_reaches_the_index(session: Session) -> None:
    story = read(DOORS / "story.txt")
    first = submit(session, **story, url="https://a.example/1")
    second = submit(session, **read(DOORS / "page.html"), url="https://b.example/2")
    ingest(session, first, second)
    indexed = row(session, second)
    indexed.state, indexed.indexed_at = ArticleState.INDEXED, datetime.now(UTC)
    session.commit()

    # The second article's page now carries the first one's text: an exact copy, but its
    # previous revision is searchable and must be replaced, so it goes on to the index.
    revised = ArticleIn.model_validate({**story, "url": "https://b.example/2"})
    assert submit_articles(session, [revised])[0].status == ("revised")
    assert ingest(session, second) == [second]
    article = row(session, second)
    assert (article.state, article.duplicate_kind, article.duplicate_of, article.cluster_id) == (
        ArticleState.INGESTED,
        "exact",
        first,
        first,
    )
