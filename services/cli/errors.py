"""What the CLI says when a command fails: one line that names the cause and what to do.

`newsflow --debug COMMAND` shows the traceback instead.
"""

from __future__ import annotations

from collections.abc import Iterator

# Libraries that log every request (INFO) or retry (WARNING, with tracebacks): quiet unless
# --debug, so a failure reads as one line and a success prints only what the command prints.
NOISY_LOGGERS = ("elastic_transport", "elasticsearch", "urllib3", "httpx", "alembic", "celery")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _store_url() -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from shared.settings import get_settings

    url = get_settings().database_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # an unparseable URL: show nothing of it rather than a password
        return "NEWSFLOW_DATABASE_URL"


def _store_problem(message: str) -> str | None:
    lowered = message.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return "the store is not migrated: run `newsflow db upgrade`"
    if "database" in lowered and "does not exist" in lowered:
        return (
            f"the database of {_store_url()} does not exist: create it or set NEWSFLOW_DATABASE_URL"
        )
    if (
        any(
            s in lowered
            for s in (
                "connection refused",
                "could not connect",
                "unable to open",
                "timeout expired",
            )
        )
        or "connection" in lowered
    ):
        return (
            f"the store at {_store_url()} is not reachable: start PostgreSQL "
            "(`infra/local-stack.sh up --deps-only`) or set NEWSFLOW_DATABASE_URL"
        )
    return None


def explain(exc: BaseException) -> str:
    """One line saying what failed and what to do about it."""
    import elastic_transport
    import redis
    import sqlalchemy.exc
    from elasticsearch import NotFoundError

    from shared.search.service import SearchUnavailable
    from shared.settings import get_settings

    settings = get_settings()
    unreachable = elastic_transport.ConnectionError | elastic_transport.ConnectionTimeout
    for cause in _chain(exc):
        if isinstance(cause, unreachable):
            return (
                f"Elasticsearch at {settings.elasticsearch_url} is not reachable: start it "
                "(`infra/local-stack.sh up --deps-only`) or set NEWSFLOW_ELASTICSEARCH_URL"
            )
        if isinstance(cause, NotFoundError) and cause.error == "index_not_found_exception":
            return f"the index {settings.index_alias} does not exist: run `newsflow index init`"
        if isinstance(cause, sqlalchemy.exc.DBAPIError | sqlalchemy.exc.OperationalError):
            problem = _store_problem(str(cause.orig if hasattr(cause, "orig") else cause))
            if problem:
                return problem
        if isinstance(cause, redis.ConnectionError | redis.TimeoutError):
            return (
                f"Redis at {settings.redis_url} is not reachable: start it "
                "(`infra/local-stack.sh up --deps-only`) or set NEWSFLOW_REDIS_URL"
            )
        if isinstance(cause, FileNotFoundError | IsADirectoryError | PermissionError):
            return f"{cause.filename}: {cause.strerror}"
    if isinstance(exc, SearchUnavailable):
        return f"search unavailable: {exc}; retry later"
    text = " ".join(str(exc).split())[:300] or type(exc).__name__
    return f"{type(exc).__name__}: {text} (`newsflow --debug ...` shows the traceback)"
