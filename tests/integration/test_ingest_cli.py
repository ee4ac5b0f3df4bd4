"""`newsflow ingest PATH...` into the real store: every file kind, bad files, the summary."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.support import FIXTURES

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_store")]

DOORS = FIXTURES / "ingest" / "doors"


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A directory tree with each input kind, gzipped copies, and files that are not articles."""
    root = tmp_path / "inputs"
    shutil.copytree(DOORS, root)
    nested = root / "nested"
    nested.mkdir()
    (nested / "page.html.gz").write_bytes(gzip.compress((DOORS / "page.html").read_bytes()))
    story = (FIXTURES / "ingest" / "dedup" / "ferry-unrelated.txt").read_bytes()
    (nested / "ferry.txt.gz").write_bytes(gzip.compress(story))
    lines = (DOORS / "batch.jsonl").read_bytes().replace(b"vh-2026-0401", b"vh-2026-0402")
    (nested / "more.jsonl.gz").write_bytes(gzip.compress(lines))
    (nested / "garbage.txt").write_bytes(bytes(range(256)) * 8)
    (nested / "broken.txt.gz").write_bytes(b"\x1f\x8b this is not gzip")
    (nested / "notes.md").write_text("not an input kind: ignored in a directory")
    return root


def run(*args: str) -> tuple[int, list[dict[str, object]], str]:
    from services.cli.main import app

    result = CliRunner().invoke(app, ["ingest", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.stderr


def test_ingest_a_directory_of_every_kind(inputs: Path) -> None:
    from shared.db import session_scope
    from shared.models import Article

    code, lines, summary = run(str(inputs), "--source", "cli-test", "--json")
    by_file: dict[str, list[dict[str, object]]] = {}
    for line in lines:
        by_file.setdefault(Path(str(line["path"])).name, []).append(line)

    def statuses(name: str) -> list[tuple[object, object]]:
        return [(line["status"], line["reason"]) for line in by_file[name]]

    assert statuses("story.txt") == [("accepted", None)]
    # nested/page.html.gz comes first (files in path order), then page.html, its same content.
    assert statuses("page.html.gz") == [("accepted", None)]
    assert statuses("page.html") == [("unchanged", None)]
    assert statuses("no-article.html") == [("accepted", None)]  # fails later, at ingest
    assert statuses("blank.txt") == [("rejected", "empty_body")]
    assert statuses("batch.json") == [
        ("accepted", None),
        ("accepted", None),
        ("rejected", "unreadable_input"),  # {"text": 42}
    ]
    assert statuses("batch.jsonl") == [
        ("accepted", None),
        ("rejected", "unreadable_input"),  # a malformed line
        ("rejected", "unreadable_input"),  # no text or html
        ("accepted", None),
    ]
    assert statuses("ferry.txt.gz") == [("accepted", None)]
    assert [s for s, _ in statuses("more.jsonl.gz")] == [
        "duplicate",  # the same text under another external id: an exact copy
        "rejected",
        "rejected",
        "unchanged",  # same URL as in batch.jsonl: the same article
    ]
    assert statuses("garbage.txt") == [("rejected", "unreadable_input")]
    assert statuses("broken.txt.gz") == [("rejected", "unreadable_input")]
    assert "notes.md" not in by_file
    assert code == 1  # some inputs were rejected, and the exit code says so
    assert "8 accepted, 2 unchanged, 0 revised, 1 duplicate, 8 rejected" in summary

    with session_scope() as session:
        sources = dict(session.execute(select(Article.external_id, Article.source)).tuples().all())
    # --source names the articles that do not name their own.
    assert sources["vh-2026-0401"] == "valley-herald"
    assert sources[None] == "cli-test"

    # A second run changes nothing.
    code, lines, summary = run(
        str(inputs / "story.txt"), str(inputs / "page.html"), "--source", "cli-test"
    )
    assert code == 0
    assert "0 accepted, 2 unchanged" in summary


def test_a_missing_path_is_reported_not_ignored(tmp_path: Path) -> None:
    code, _lines, summary = run(str(tmp_path / "nope.txt"))
    assert code == 1
    assert "nope.txt" in summary
    assert "1 rejected" in summary
