"""Index lifecycle: the template, versioned indices and the alias apps read through."""

from __future__ import annotations

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError

from shared.search.mapping import MAPPING_VERSION, index_template
from shared.settings import get_settings


def alias_name() -> str:
    return get_settings().index_alias


def versioned_index_name(version: int = MAPPING_VERSION, suffix: str = "") -> str:
    return f"{alias_name()}-v{version}{suffix}"


def install_template(es: Elasticsearch) -> None:
    alias = alias_name()
    es.indices.put_index_template(name=alias, **index_template(alias))


def indices_behind_alias(es: Elasticsearch) -> list[str]:
    try:
        return sorted(es.indices.get_alias(name=alias_name()).body)
    except NotFoundError:
        return []


def ensure_index(es: Elasticsearch) -> str:
    """Install the template and make sure the alias points at an index; returns its name."""
    install_template(es)
    current = indices_behind_alias(es)
    if current:
        return current[-1]
    name = versioned_index_name()
    try:
        es.indices.create(index=name, aliases={alias_name(): {"is_write_index": True}})
    except BadRequestError as exc:
        if exc.error != "resource_already_exists_exception":
            raise
        # Another process created it first; make sure the alias is there too.
        es.indices.put_alias(index=name, name=alias_name(), is_write_index=True)
    es.cluster.health(index=name, wait_for_status="yellow", timeout="30s")
    return name
