"""Index lifecycle: the template, versioned indices and the aliases around them.

- The read alias (`settings.index_alias`, `newsflow-articles`) points at exactly one
  versioned index, `{alias}-v{MAPPING_VERSION}-{stamp}`. Apps and the API read through it.
- While a reindex runs, the alias `{alias}-next` points at the index being built. The index
  stage writes every batch to the read alias *and* to `{alias}-next` when it exists and a
  reindex holds its lock (services/indexer/stage.py), so articles indexed during a reindex
  land in both; external versions make the double write (and the reindex's own write of the
  same revision) harmless.
- Writes go through aliases with `require_alias`, so a write racing with the deletion of an
  old index fails instead of silently re-creating it from the template.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError

from shared.search.mapping import INDEX_SETTINGS, MAPPING_VERSION, index_template
from shared.settings import get_settings


def alias_name() -> str:
    """The read alias apps and the API search through."""
    return get_settings().index_alias


def next_alias_name() -> str:
    """The alias of the index a running reindex is building (absent otherwise)."""
    return f"{alias_name()}-next"


def versioned_index_name(version: int = MAPPING_VERSION, suffix: str | None = None) -> str:
    """`{alias}-v{version}-{suffix}`; a fresh timestamped suffix unless one is given.

    Unique names let a reindex build the next index next to the live one (same version
    included) and drop the old one afterwards.
    """
    if suffix is None:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        suffix = f"{stamp}-{secrets.token_hex(2)}"
    return f"{alias_name()}-v{version}-{suffix}"


def install_template(es: Elasticsearch) -> None:
    alias = alias_name()
    es.indices.put_index_template(name=alias, **index_template(alias))


def _indices_with_alias(es: Elasticsearch, alias: str) -> list[str]:
    try:
        return sorted(es.indices.get_alias(name=alias).body)
    except NotFoundError:
        return []


def indices_behind_alias(es: Elasticsearch) -> list[str]:
    return _indices_with_alias(es, alias_name())


def live_index(es: Elasticsearch) -> str | None:
    """The index the read alias points at, if any."""
    current = indices_behind_alias(es)
    return current[-1] if current else None


def next_index(es: Elasticsearch) -> str | None:
    """The index a running reindex is building, if any."""
    building = _indices_with_alias(es, next_alias_name())
    return building[-1] if building else None


def write_targets(es: Elasticsearch) -> list[str]:
    """Aliases the index stage writes to: the read alias, plus the next index if building."""
    targets = [alias_name()]
    if es.indices.exists_alias(name=next_alias_name()):
        targets.append(next_alias_name())
    return targets


def managed_indices(es: Elasticsearch) -> list[str]:
    """Every versioned index of this alias, live or not."""
    found = es.indices.get(index=f"{alias_name()}-v*", expand_wildcards="all")
    return sorted(found.body)


def mapping_version(es: Elasticsearch, index: str) -> int:
    """The MAPPING_VERSION an index was created with (0 for indices older than `_meta`)."""
    mappings = es.indices.get_mapping(index=index).body
    meta = next(iter(mappings.values()))["mappings"].get("_meta") or {}
    return int(meta.get("mapping_version", 0))


def ensure_index(es: Elasticsearch) -> str:
    """Install the template and make sure the alias points at an index; returns its name."""
    install_template(es)
    current = live_index(es)
    if current:
        return current
    # A fixed name for the first index: processes racing here all create the same one.
    name = versioned_index_name(suffix="initial")
    try:
        es.indices.create(index=name, aliases={alias_name(): {"is_write_index": True}})
    except BadRequestError as exc:
        if exc.error != "resource_already_exists_exception":
            raise
        # Another process created it first; make sure the alias is there too.
        es.indices.put_alias(index=name, name=alias_name(), is_write_index=True)
    es.cluster.health(index=name, wait_for_status="yellow", timeout="30s")
    return name


def create_next_index(es: Elasticsearch) -> str:
    """A new, empty versioned index tuned for bulk loading, behind the `-next` alias.

    No replicas and no refresh while loading; `finish_loading` restores both.
    """
    install_template(es)
    name = versioned_index_name()
    es.indices.create(
        index=name,
        settings={"auto_expand_replicas": False, "number_of_replicas": 0, "refresh_interval": -1},
        aliases={next_alias_name(): {}},
    )
    es.cluster.health(index=name, wait_for_status="yellow", timeout="60s")
    return name


def finish_loading(es: Elasticsearch, index: str) -> None:
    """Restore the template's live settings and make everything loaded searchable."""
    settings: dict[str, Any] = {
        "auto_expand_replicas": INDEX_SETTINGS["auto_expand_replicas"],
        "refresh_interval": INDEX_SETTINGS["refresh_interval"],
    }
    es.indices.put_settings(index=index, settings=settings)
    es.indices.refresh(index=index)
    es.cluster.health(index=index, wait_for_status="yellow", timeout="60s")


def swap_alias(es: Elasticsearch, new_index: str) -> list[str]:
    """Point the read alias at `new_index` and retire `-next`, in one atomic request.

    Returns the indices the alias pointed at before (to be deleted by the caller).
    """
    previous = [name for name in indices_behind_alias(es) if name != new_index]
    actions: list[dict[str, Any]] = [
        {"add": {"index": new_index, "alias": alias_name(), "is_write_index": True}},
        {"remove": {"index": new_index, "alias": next_alias_name(), "must_exist": False}},
    ]
    actions += [{"remove": {"index": name, "alias": alias_name()}} for name in previous]
    es.indices.update_aliases(actions=actions)
    return previous


def delete_indices(es: Elasticsearch, names: list[str]) -> None:
    for name in names:
        es.options(ignore_status=404).indices.delete(index=name)
