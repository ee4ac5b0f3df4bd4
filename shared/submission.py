"""Accepting articles: validate, store (committed), then enqueue ingest.

The API, the CLI and the feed poller all submit through `submit_articles`, so an article
is accepted the same way whatever its door. Outcomes per item:

- `accepted`: a new article, stored as `received` and sent to the ingest stage;
- `unchanged`: this article (same id) is already stored with the same content;
- `revised`: a changed version of a stored article (same id): its revision is bumped and it
  goes through the pipeline again, replacing the old version downstream;
- `duplicate`: an exact copy (same normalised content and title) of another article under
  another id (other URL or source); stored as `duplicate` pointing at it, never processed;
- `rejected`: invalid, with a machine-readable `reason`; nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from shared.celery_app import enqueue
from shared.errors import RejectedInput
from shared.identity import article_id, normalize_text, normalize_url, submission_fingerprint
from shared.metrics import ARTICLES_ACCEPTED
from shared.models import Article, utcnow
from shared.pipeline import record
from shared.schemas import ArticleIn, SubmitResult
from shared.settings import get_settings
from shared.states import ArticleState, Stage

# Share of control characters above which a text is treated as binary garbage.
_MAX_CONTROL_SHARE = 0.01
# C0/C1 control characters except tab, line feed, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# Pydantic error types that mean "this field has the wrong JSON type".
_TYPE_ERRORS = ("string_type", "int_type", "float_type", "bool_type", "datetime_type")


# PostgreSQL's SQLSTATE for a transaction aborted to break a deadlock.
_DEADLOCK_DETECTED = "40P01"


def rejection_reason(exc: ValidationError) -> str:
    """One machine-readable reason for a payload pydantic refused (the first error's)."""
    kind = exc.errors()[0]["type"]
    if kind in ("content_required", "invalid_url", "invalid_characters"):
        return kind
    if kind == "string_unicode":  # pydantic's own refusal of lone surrogates
        return "invalid_characters"
    if kind == "extra_forbidden":
        return "unknown_field"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "not_an_object"
    if kind in _TYPE_ERRORS:
        return "wrong_type"
    if kind.startswith(("datetime_", "date_")):
        return "invalid_date"
    return "invalid_field"


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in exc.errors()
    )


def parse_article(value: object) -> ArticleIn:
    """A decoded JSON value as an article, or `RejectedInput` saying what is wrong with it."""
    if not isinstance(value, dict):
        raise RejectedInput(
            f"expected a JSON object with `text` or `html`, got {type(value).__name__}",
            reason="not_an_object",
        )
    try:
        return ArticleIn.model_validate(value)
    except ValidationError as exc:
        raise RejectedInput(_describe(exc), reason=rejection_reason(exc)) from None


def validate_content(item: ArticleIn) -> None:
    """Refuse what no stage could turn into an article, with a machine-readable reason."""
    settings = get_settings()
    content = item.content
    try:
        size = len(content.encode("utf-8"))
    except UnicodeEncodeError:
        raise RejectedInput(
            "content contains lone surrogates (not valid Unicode text)", reason="invalid_unicode"
        ) from None
    if size > settings.max_article_bytes:
        raise RejectedInput(
            f"article is {size} bytes, more than the limit of {settings.max_article_bytes}",
            reason="article_too_large",
            status_code=413,
        )
    if len(content.strip()) < settings.min_body_chars:
        raise RejectedInput("article body is empty or whitespace only", reason="empty_body")
    controls = len(_CONTROL.findall(content))
    if "\x00" in content or controls > _MAX_CONTROL_SHARE * len(content):
        raise RejectedInput("article looks like binary data, not text", reason="binary_content")


def _raw_hash(item: ArticleIn) -> str:
    """What must differ for a resubmission to be a revision rather than `unchanged`."""
    metadata = item.model_dump(mode="json", exclude={"text", "html", "published_at"})
    if item.url:  # a tracking parameter more or less is the same article, unchanged
        metadata["url"] = normalize_url(item.url)
    # When the id comes from the content, it is the normalised content: a copy that differs
    # only in whitespace or case is the same article, unchanged, not a new revision of it.
    content = item.content if item.external_id or item.url else normalize_text(item.content)
    key = f"{item.input_format}\x1f{content}\x1f{json.dumps(metadata, sort_keys=True)}"
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class _Prepared:
    index: int
    item: ArticleIn
    id: str
    raw_hash: str
    fingerprint: str


@dataclass
class _Original:
    """The article an exact copy at the door points at."""

    id: str
    cluster_id: str | None


def _prepare(index: int, item: ArticleIn) -> _Prepared:
    return _Prepared(
        index=index,
        item=item,
        id=article_id(
            source=item.source, external_id=item.external_id, url=item.url, content=item.content
        ),
        raw_hash=_raw_hash(item),
        fingerprint=submission_fingerprint(item.input_format, item.content, item.title),
    )


# The lookups of `_load_known`, built once per process with the ids and fingerprints as
# parameters: building a statement and its cache key costs more than running it for the
# single article of a typical POST.
_EXISTING = select(Article).where(Article.id.in_(bindparam("ids", expanding=True)))
_ORIGINALS = (
    select(
        Article.fingerprint,
        Article.id,
        Article.duplicate_of,
        Article.duplicate_kind,
        Article.cluster_id,
    )
    .where(
        Article.fingerprint.in_(bindparam("fingerprints", expanding=True)),
        Article.state != ArticleState.FAILED,
    )
    .order_by(Article.created_at, Article.id)
)


def _load_known(
    session: Session, prepared: Sequence[_Prepared]
) -> tuple[dict[str, Article], dict[str, _Original]]:
    """Stored articles with these ids, and the original of each fingerprint: two queries."""
    ids = list({p.id for p in prepared})
    existing = {a.id: a for a in session.scalars(_EXISTING, {"ids": ids})}
    fingerprints = list({p.fingerprint for p in prepared})
    originals: dict[str, _Original] = {}
    rows = session.execute(_ORIGINALS, {"fingerprints": fingerprints}).all()
    for fingerprint, found_id, duplicate_of, kind, cluster_id in rows:
        if fingerprint in originals:
            continue  # the first one wins
        # An exact copy stands for its original; a near copy is an article of its own.
        target = duplicate_of if kind == "exact" and duplicate_of else found_id
        originals[fingerprint] = _Original(target, cluster_id)
    return existing, originals


def _fields(p: _Prepared) -> dict[str, object]:
    item = p.item
    return {
        "source": item.source,
        "external_id": item.external_id,
        "url": item.url,
        "input_format": item.input_format,
        "raw_content": item.content,
        "submitted": item.model_dump(mode="json", exclude={"text", "html"}),
        "raw_hash": p.raw_hash,
        "fingerprint": p.fingerprint,
        "state": ArticleState.RECEIVED,
        "state_changed_at": utcnow(),
        "attempts": 0,
        "failed_stage": None,
        "error": None,
        "error_class": None,
        # Dedup is decided again by the ingest stage for the new content.
        "duplicate_of": None,
        "duplicate_kind": None,
        "similarity": None,
        "cluster_id": None,
        "minhash": None,
    }


def _store(
    session: Session,
    p: _Prepared,
    existing: dict[str, Article],
    originals: dict[str, _Original],
) -> SubmitResult:
    found = existing.get(p.id)
    if found is not None:
        if found.raw_hash == p.raw_hash:
            return SubmitResult(id=p.id, status="unchanged", revision=found.revision)
        # A changed version of a known article: a new revision replaces the old one downstream.
        for key, value in _fields(p).items():
            setattr(found, key, value)
        found.revision += 1
        return SubmitResult(id=p.id, status="revised", revision=found.revision)
    original = originals.get(p.fingerprint)
    article = Article(id=p.id, revision=1, **_fields(p))
    session.add(article)
    existing[p.id] = article
    if original is None:
        originals[p.fingerprint] = _Original(p.id, None)
        return SubmitResult(id=p.id, status="accepted", revision=1)
    # The same content under another URL or source: no need to extract it again.
    article.state = ArticleState.DUPLICATE
    article.duplicate_of = original.id
    article.duplicate_kind = "exact"
    article.similarity = 1.0
    article.cluster_id = original.cluster_id or original.id
    record(session, article, Stage.INGEST, "duplicate", f"exact copy of {original.id} as submitted")
    return SubmitResult(id=p.id, status="duplicate", revision=1, duplicate_of=original.id)


def _store_all(
    session: Session, prepared: Sequence[_Prepared], *, savepoints: bool
) -> dict[int, SubmitResult]:
    existing, originals = _load_known(session, prepared)
    results: dict[int, SubmitResult] = {}
    for p in prepared:
        if not savepoints:
            results[p.index] = _store(session, p, existing, originals)
            continue
        try:
            with session.begin_nested():
                results[p.index] = _store(session, p, existing, originals)
        except IntegrityError:
            # Lost a race with a concurrent submission of the same article: it is stored.
            existing.pop(p.id, None)
            results[p.index] = SubmitResult(id=p.id, status="unchanged")
    return results


def submit_articles(session: Session, items: Sequence[ArticleIn]) -> list[SubmitResult]:
    """Store the valid items, commit, then enqueue the new ones; one result per item.

    The common case costs two lookups and one multi-row INSERT for the whole chunk. Only when
    a concurrent submission stored one of the same articles first (a primary key conflict)
    is the chunk stored again item by item, each in its own savepoint.
    """
    rejected: dict[int, SubmitResult] = {}
    prepared: list[_Prepared] = []
    for index, item in enumerate(items):
        try:
            validate_content(item)
        except RejectedInput as exc:
            rejected[index] = SubmitResult(status="rejected", reason=exc.reason, detail=str(exc))
            continue
        prepared.append(_prepare(index, item))
    stored: dict[int, SubmitResult] = {}
    if prepared:
        try:
            stored = _store_all(session, prepared, savepoints=False)
            session.commit()
        except IntegrityError:
            session.rollback()
            stored = _store_all(session, prepared, savepoints=True)
            session.commit()
        except OperationalError as exc:
            # Two batches inserting the same new ids in different orders: PostgreSQL aborts
            # one of them. The other has committed by now, so storing again sees its rows.
            if getattr(exc.orig, "sqlstate", None) != _DEADLOCK_DETECTED:
                raise
            session.rollback()
            stored = _store_all(session, prepared, savepoints=True)
            session.commit()
    results = [rejected.get(i) or stored[i] for i in range(len(items))]
    for result in results:
        ARTICLES_ACCEPTED.labels(result.status).inc()
    to_ingest = list(
        dict.fromkeys(r.id for r in results if r.status in ("accepted", "revised") and r.id)
    )
    enqueue(Stage.INGEST, to_ingest)
    return results
