"""Matching indexed articles against every saved search: one `_msearch` per batch.

The local Elasticsearch node has no percolator, so matching runs the other way round: after
the index stage commits a batch, the saved searches run over the batch's ids only (an `ids`
filter makes them cheap however large the index), fifty to a search as named clauses, so one
pass over the batch's documents says which of them each document matches
(`matched_queries`). The result is exactly what `GET /v1/search` with the same parameters
would return for those articles.

What is recorded, per (alert, article):
- the first time an article matches, a match row (unique per alert and article: a later
  revision that matches again is not news, a revision that starts to match is);
- if the alert already matched another article of the same story (same `cluster_id`), the
  new one is a copy: recorded as `grouped` under the first, never sent on its own;
- every article revision of the batch, matched or not, gets a scan row, so the catch-up
  job can find indexed articles whose matching message was lost and match them late
  rather than never.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from elasticsearch import Elasticsearch
from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session

from shared.alerts import DeliveryState, search_params
from shared.db import insert_ignoring_duplicates
from shared.errors import TransientError
from shared.models import Alert, AlertMatch, AlertScan, Article, utcnow
from shared.search.indices import alias_name
from shared.search.query import base_query
from shared.states import ArticleState

log = structlog.get_logger(__name__)

# Saved searches per Elasticsearch search: each is a named clause, so one pass over the
# batch's documents answers all of them (`matched_queries`); bounded by the clause limit.
ALERTS_PER_SEARCH = 50
# Searches per `_msearch` request.
SEARCHES_PER_REQUEST = 40
# Indexed articles the catch-up job looks back over, and how long it lets the live path work.
CATCH_UP_WINDOW = timedelta(hours=6)
CATCH_UP_SETTLE = timedelta(seconds=10)
SCANS_KEPT = timedelta(days=2)


def _named(alert: Alert, languages: list[str] | None) -> dict[str, Any]:
    query = base_query(search_params(alert), languages)
    return {"bool": {"must": [query], "_name": alert.id}}


def _search(alerts: Sequence[Alert], ids: list[str], languages: list[str] | None) -> dict[str, Any]:
    """One search for several saved searches over the batch: a hit names those it matched."""
    return {
        "query": {
            "bool": {
                "filter": [{"ids": {"values": ids}}],
                "should": [_named(alert, languages) for alert in alerts],
                "minimum_should_match": 1,
            }
        },
        "size": len(ids),
        "_source": False,
        "track_total_hits": False,
    }


def batch_languages(es: Elasticsearch, ids: list[str]) -> list[str] | None:
    """The languages of the batch's documents, or None if some have none. A query then
    searches only those languages' fields: the same hits, a fraction of the field lookups."""
    response = es.search(
        index=alias_name(),
        query={"ids": {"values": ids}},
        size=0,
        aggs={
            "languages": {"terms": {"field": "language", "size": 100}},
            "unknown": {"missing": {"field": "language"}},
        },
    )
    aggs = response["aggregations"]
    if aggs["unknown"]["doc_count"]:
        return None
    return [bucket["key"] for bucket in aggs["languages"]["buckets"]] or None


def _run(
    es: Elasticsearch, groups: list[list[Alert]], ids: list[str], languages: list[str] | None
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for start in range(0, len(groups), SEARCHES_PER_REQUEST):
        chunk = groups[start : start + SEARCHES_PER_REQUEST]
        searches = [part for group in chunk for part in ({}, _search(group, ids, languages))]
        response = es.msearch(index=alias_name(), searches=searches)
        for group, result in zip(chunk, response["responses"], strict=True):
            if "error" not in result:
                found.update({alert.id: set() for alert in group})
                for hit in result["hits"]["hits"]:
                    for name in hit.get("matched_queries", ()):
                        found[name].add(hit["_id"])
            elif result.get("status") == 400 and len(group) > 1:
                # The index refuses one saved search: run them alone, the others still match.
                found.update(_run(es, [[alert] for alert in group], ids, languages))
            elif result.get("status") == 400:
                error = str(result["error"])[:500]
                log.warning("alert_search_refused", alert_id=group[0].id, error=error)
            else:
                # The index missing, overloaded or failing: the whole batch is matched later
                # (no scan rows are written, so the catch-up job takes it up again).
                raise TransientError(f"saved searches failed: {str(result['error'])[:300]}")
    return found


def matching_ids(es: Elasticsearch, alerts: Sequence[Alert], ids: list[str]) -> dict[str, set[str]]:
    """Alert id -> the ids among `ids` that its saved search finds now."""
    groups = [
        list(alerts[i : i + ALERTS_PER_SEARCH]) for i in range(0, len(alerts), ALERTS_PER_SEARCH)
    ]
    return _run(es, groups, ids, batch_languages(es, ids))


def match_articles(session: Session, es: Elasticsearch, article_ids: Sequence[str]) -> list[int]:
    """Match indexed articles against every alert; returns the ids of matches to deliver.

    Safe to run twice on the same articles (live path and catch-up): nothing is doubled.
    """
    alerts = list(session.scalars(select(Alert).order_by(Alert.created_at)))
    if not alerts or not article_ids:
        return []
    articles = {
        a.id: a
        for a in session.execute(
            select(Article.id, Article.revision, Article.cluster_id, Article.indexed_at).where(
                Article.id.in_(list(article_ids)), Article.state == ArticleState.INDEXED
            )
        ).all()
    }
    if not articles:
        return []
    # Make the batch visible to search: it was written less than a refresh interval ago.
    es.indices.refresh(index=alias_name())
    found = matching_ids(es, alerts, sorted(articles))
    now = utcnow()
    # What the store knows already, for every alert at once: two queries per batch.
    known = set(
        session.execute(
            select(AlertMatch.alert_id, AlertMatch.article_id).where(
                AlertMatch.article_id.in_(list(articles))
            )
        ).tuples()
    )
    first_of_story: dict[tuple[str, str], str] = {
        (alert_id, cluster): article_id
        for alert_id, cluster, article_id in session.execute(
            select(AlertMatch.alert_id, AlertMatch.cluster_id, AlertMatch.article_id).where(
                AlertMatch.cluster_id.in_({a.cluster_id or a.id for a in articles.values()}),
                AlertMatch.grouped_with.is_(None),
            )
        ).tuples()
        if cluster is not None
    }
    rows: list[dict[str, Any]] = []
    for alert in alerts:
        # An alert hears of articles indexed after it was saved, not of the back catalogue.
        hits = sorted(
            (articles[i] for i in found.get(alert.id, ()) if i in articles),
            key=lambda a: (a.indexed_at or now, a.id),
        )
        for article in hits:
            if (alert.id, article.id) in known or (
                article.indexed_at is not None and article.indexed_at < alert.created_at
            ):
                continue
            rows.append(_match_row(alert, article, first_of_story, now))
    new_ids: list[int] = []
    if rows:
        # executemany with RETURNING: one statement compiled once, sent in pages.
        insert = insert_ignoring_duplicates(session, AlertMatch)
        new_ids = list(session.scalars(insert.returning(AlertMatch.id), rows))
    scans = [
        {"article_id": a.id, "revision": a.revision, "scanned_at": now} for a in articles.values()
    ]
    session.execute(insert_ignoring_duplicates(session, AlertScan), scans)
    session.commit()
    pending = list(
        session.scalars(
            select(AlertMatch.id).where(
                AlertMatch.id.in_(new_ids), AlertMatch.delivery_state == DeliveryState.PENDING
            )
        )
    )
    log.info("alerts_matched", articles=len(articles), alerts=len(alerts), matches=len(new_ids))
    return pending


def _match_row(
    alert: Alert, article: Any, first_of_story: dict[tuple[str, str], str], now: datetime
) -> dict[str, Any]:
    """The new match of `article` for `alert`: a copy of a story it matched is grouped."""
    cluster = article.cluster_id or article.id
    first = first_of_story.get((alert.id, cluster))
    if first is not None:
        state = DeliveryState.GROUPED
    else:
        state = DeliveryState.PENDING if alert.webhook_url else DeliveryState.PULL
        first_of_story[(alert.id, cluster)] = article.id
    return {
        "alert_id": alert.id,
        "article_id": article.id,
        "revision": article.revision,
        "cluster_id": cluster,
        "grouped_with": first,
        "matched_at": now,
        "delivery_state": state,
        "attempts": 0,
        "next_attempt_at": now if state == DeliveryState.PENDING else None,
    }


def unscanned_articles(session: Session, limit: int = 500) -> list[str]:
    """Indexed articles (since the oldest alert) that no matching run has seen yet."""
    oldest = session.scalar(select(func.min(Alert.created_at)))
    if oldest is None:
        return []
    now = utcnow()
    scanned = exists().where(
        and_(AlertScan.article_id == Article.id, AlertScan.revision == Article.revision)
    )
    return list(
        session.scalars(
            select(Article.id)
            .where(
                Article.state == ArticleState.INDEXED,
                Article.indexed_at >= max(oldest, now - CATCH_UP_WINDOW),
                Article.indexed_at <= now - CATCH_UP_SETTLE,
                ~scanned,
            )
            .order_by(Article.indexed_at)
            .limit(limit)
        )
    )


def catch_up(session: Session, es: Elasticsearch) -> list[int]:
    """Match what the live path missed (a lost message, a worker killed mid-batch)."""
    ids = unscanned_articles(session)
    pending = match_articles(session, es, ids) if ids else []
    session.execute(delete(AlertScan).where(AlertScan.scanned_at < utcnow() - SCANS_KEPT))
    session.commit()
    if ids:
        log.info("alerts_caught_up", articles=len(ids), matches=len(pending))
    return pending
