"""The README's API and CLI tables list every operation, parameter and command there is."""

from __future__ import annotations

import re
from typing import Any

import typer.main

from tests.support import ROOT

README = (ROOT / "README.md").read_text()


def _rows(header: str) -> list[list[str]]:
    section = README.split(header, 1)[1]
    rows = []
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def _names(cell: str) -> set[str]:
    """Backticked identifiers outside parentheses (those hold values and remarks)."""
    cell = re.sub(r"\([^)]*\)", "", cell)
    return set(re.findall(r"`([a-z_]+)`", cell))


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The fields of a body schema: an object's, an array's items', any alternative's."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    found = set(schema.get("properties", {}))
    for key in ("anyOf", "oneOf", "allOf"):
        for alternative in schema.get(key, []):
            found |= _properties(spec, alternative)
    if "items" in schema:
        found |= _properties(spec, schema["items"])
    return found


def _body_fields(spec: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    content = operation.get("requestBody", {}).get("content", {})
    return _properties(spec, content.get("application/json", {}).get("schema", {}))


def test_the_api_table_lists_every_operation_with_its_parameters() -> None:
    from services.api.app import create_app

    spec = create_app().openapi()
    expected = {
        f"{method.upper()} {path}": {
            p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
        }
        | _body_fields(spec, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    documented = {
        row[0].strip("`"): _names(row[1]) for row in _rows("| endpoint | parameters | what |")
    }
    assert set(documented) == set(expected)
    for operation, parameters in expected.items():
        assert documented[operation] == parameters, operation


def _commands(group: Any, prefix: str = "newsflow") -> set[str]:
    if not hasattr(group, "commands"):
        return {prefix}
    return {c for name, sub in group.commands.items() for c in _commands(sub, f"{prefix} {name}")}


def test_the_cli_table_lists_every_command() -> None:
    from services.cli.main import WORKER_APPS, app

    documented: set[str] = set()
    for row in _rows("| command | what |"):
        for span in re.findall(r"`(newsflow [^`]+)`", row[0]):
            words = span.replace("\\|", "|").split()
            first, second = words[1], words[2] if len(words) > 2 else ""
            documented.add(f"newsflow {first}")
            for sub in second.split("|") if re.fullmatch(r"[a-z|]+", second) else [""]:
                documented.add(f"newsflow {first} {sub}".strip())
    commands = _commands(typer.main.get_command(app))
    missing = {c for c in commands if c not in documented}
    assert not missing, f"not in the README's CLI table: {sorted(missing)}"
    groups = {" ".join(c.split()[:2]) for c in commands}
    stages = {f"newsflow worker {stage}" for stage in WORKER_APPS}
    assert documented - commands - groups <= stages, "the table names commands that do not exist"


def test_the_cli_search_has_every_option_of_the_api() -> None:
    from services.cli.main import app
    from shared.search.query import SearchParams

    search = typer.main.get_command(app).commands["search"]  # type: ignore[attr-defined]
    options = {p.name for p in search.params}
    assert set(SearchParams.model_fields) <= options
