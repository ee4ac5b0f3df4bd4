"""`newsflow extract`: one JSON object per input on stdout, errors per input, no services."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import SEED

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
KEYS = {
    "path",
    "title",
    "dateline",
    "headings",
    "body",
    "authors",
    "published_at",
    "site_name",
    "canonical_url",
    "language",
}


def _run(*args: str) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "extract", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return [json.loads(line) for line in done.stdout.splitlines()], done


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    seed = SEED.read_bytes()
    (tmp_path / "1-seed.txt.gz").write_bytes(gzip.compress(seed))
    (tmp_path / "2-page.html").write_bytes((FIXTURES / "article-jsonld.html").read_bytes())
    (tmp_path / "3-bad.json").write_bytes((FIXTURES / "malformed.json").read_bytes())
    items = [
        {"text": "Stated Title\n\nA paragraph of text.", "published_at": "2024-01-02T03:04:05Z"},
        {"nothing": True},
    ]
    (tmp_path / "4-items.jsonl").write_text("\n".join(map(json.dumps, items)), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_extract_prints_one_object_per_input_in_order(inputs: Path, jobs: str) -> None:
    results, done = _run("--jobs", jobs, str(inputs))
    assert done.returncode == 1, "inputs with errors: every result printed, then exit 1"
    assert "5 inputs, 2 with errors" in done.stderr
    assert [Path(r["path"]).name for r in results] == [
        "1-seed.txt.gz",
        "2-page.html",
        "3-bad.json",
        "4-items.jsonl",
        "4-items.jsonl",
    ]
    seed, page, bad, stated, empty = results
    assert set(seed) >= KEYS
    assert "error" not in seed
    assert seed["title"].endswith("Possible Turning Point on Ukraine")
    assert seed["dateline"] == "Anchorage, Alaska"
    assert seed["headings"][0] == "A Meeting of Neighbors"
    assert page["authors"] == ["Maria Lopez", "Tom Becker"]
    assert page["published_at"] == "2024-03-05T09:30:00+01:00"
    assert page["language"] == "en"
    assert set(bad) == {"path", "error"}
    assert bad["error"].startswith("malformed JSON")
    assert (stated["index"], stated["published_at"]) == (0, "2024-01-02T03:04:05+00:00")
    assert empty["index"] == 1
    assert "no `text` or `html`" in empty["error"]


def test_a_missing_path_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Title\n\nSome body text here.", encoding="utf-8")
    results, done = _run("-j", "1", str(tmp_path / "missing.txt"), str(tmp_path / "ok.txt"))
    assert done.returncode == 1
    assert "2 inputs, 1 with errors" in done.stderr
    assert results[0]["error"] == "no such file"
    assert results[1]["body"] == "Some body text here."
