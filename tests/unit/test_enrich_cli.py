"""`newsflow enrich`: extraction + enrichment of files, one JSON object per input, no services."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support import SEED

EXTRACT_KEYS = {
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
ENRICH_KEYS = {"entities", "quotes", "keywords", "summary"}
PAGE = """<!doctype html><html lang="en"><head><title>Council votes on budget</title></head>
<body><article><h1>Council votes on budget</h1>
<p>The city council of Leeds approved the budget on Monday after a long debate.</p>
<p>"This budget protects our schools and our libraries," said Judith Blake, the council
leader, after the vote.</p>
<p>The opposition said the plan relied on optimistic forecasts for the coming year.</p>
</article></body></html>"""


def _run(*args: str, exit_code: int = 0) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "enrich", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == exit_code, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_enrich_prints_extraction_and_enrichment_per_file(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / "alaska-summit.txt")
    (tmp_path / "council.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")  # not an input kind: skipped
    records = _run(str(tmp_path))
    assert [Path(r["path"]).name for r in records] == ["alaska-summit.txt", "council.html"]
    for record in records:
        assert set(record) == EXTRACT_KEYS | ENRICH_KEYS
        assert record["language"] == "en"
        assert all(set(e) == {"name", "type", "mentions"} for e in record["entities"])
        assert all(set(q) == {"text", "speaker"} for q in record["quotes"])
    seed, page = records
    persons = {e["name"] for e in seed["entities"] if e["type"] == "person"}
    assert persons == {"Donald Trump", "Vladimir Putin", "Volodymyr Zelensky"}
    assert {
        "text": "Alaska symbolizes our common heritage",
        "speaker": "Vladimir Putin",
    } in seed["quotes"]
    assert page["title"] == "Council votes on budget"
    assert page["quotes"] == [
        {"text": "This budget protects our schools and our libraries", "speaker": "Judith Blake"}
    ]
    assert page["summary"].startswith("The city council of Leeds approved the budget")


def test_an_unreadable_input_is_reported_and_the_others_enriched(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    records = _run(str(missing), str(SEED), exit_code=1)  # every record, then exit 1
    assert "error" in records[0]
    assert "entities" not in records[0]
    assert records[1]["entities"]


def test_models_says_which_languages_have_a_model_and_which_have_none() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "models"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("  ", 1) for line in done.stdout.splitlines()[1:])
    assert lines["en"].startswith("en_core_web_sm")
    assert "speakers" in lines["en"]
    assert lines["fr"].startswith("fr_core_news_sm-3.8.0")
    assert lines["zh"].startswith("none:")
    assert "no entities" in lines["zh"]
    assert "entity-rules-" in done.stdout.splitlines()[0]
