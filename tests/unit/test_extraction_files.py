"""Reading inputs from files: formats, gzip, JSON items, and errors kept per file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from services.ingest.files import InputItem, iter_inputs, read_inputs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
STORY = "A Title\n\nThe first paragraph of the story, long enough to be a paragraph."


def _only(items: list[InputItem]) -> InputItem:
    assert len(items) == 1
    return items[0]


def test_text_and_html_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "b.htm").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    text, page = _only(read_inputs(tmp_path / "a.txt")), _only(read_inputs(tmp_path / "b.htm"))
    assert (text.input_format, text.content, text.error) == ("text", STORY, None)
    assert page.input_format == "html"


def test_gzipped_files_are_read_by_their_inner_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(b"<html><body>caf\xc3\xa9</body></html>"))
    item = _only(read_inputs(tmp_path / "a.html.gz"))
    assert item.input_format == "html"
    assert item.content is not None
    assert "caf\u00e9" in item.content


def test_a_latin1_file_is_decoded() -> None:
    item = _only(read_inputs(FIXTURES / "latin1.txt"))
    assert item.content is not None
    assert "caf\u00e9s" in item.content


def test_a_json_object_with_metadata(tmp_path: Path) -> None:
    data = {"html": "<p>x</p>", "url": "https://example.org/a", "title": "T", "extra": 1}
    (tmp_path / "a.json").write_text(json.dumps(data), encoding="utf-8")
    item = _only(read_inputs(tmp_path / "a.json"))
    assert (item.input_format, item.content) == ("html", "<p>x</p>")
    assert item.metadata() == {"url": "https://example.org/a", "title": "T"}


def test_a_json_list_gives_one_item_each_and_flags_bad_ones(tmp_path: Path) -> None:
    data = [{"text": STORY}, {"text": "x", "html": "<p>y</p>"}, "not an object"]
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(json.dumps(data).encode()))
    items = read_inputs(tmp_path / "a.json.gz")
    assert [i.index for i in items] == [0, 1, 2]
    assert items[0].content == STORY
    assert items[0].error is None
    assert items[1].error == "give exactly one of `text` or `html`, not both"
    assert items[2].error is not None
    assert "JSON object" in items[2].error


def test_jsonl_lines_are_items_and_a_malformed_line_does_not_spoil_the_rest(
    tmp_path: Path,
) -> None:
    lines = [json.dumps({"text": STORY}), "{broken", "", json.dumps({"html": "<p>x</p>"})]
    (tmp_path / "a.ndjson").write_text("\n".join(lines), encoding="utf-8")
    items = read_inputs(tmp_path / "a.ndjson")
    assert [(i.index, i.error is None) for i in items] == [(0, True), (1, False), (3, True)]
    assert items[1].error is not None
    assert items[1].error.startswith("malformed JSON")


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("malformed.json", (FIXTURES / "malformed.json").read_bytes(), "malformed JSON"),
        ("empty.json", b"{}", "has no `text` or `html`"),
        ("bad.txt.gz", b"\x1f\x8b\x08\x00 not really gzip", "not a readable gzip file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\xff" * 100, "binary"),
    ],
)
def test_unreadable_files_become_items_with_an_error(
    tmp_path: Path, name: str, data: bytes, error: str
) -> None:
    (tmp_path / name).write_bytes(data)
    item = _only(read_inputs(tmp_path / name))
    assert item.content is None
    assert item.error is not None
    assert error in item.error


def test_a_missing_file_is_an_error_item(tmp_path: Path) -> None:
    assert _only(read_inputs(tmp_path / "nope.txt")).error == "no such file"


def test_directories_are_walked_in_order_skipping_unknown_kinds(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "sub" / "a.html").write_text("<p>x</p>", encoding="utf-8")
    (tmp_path / "notes.info").write_text("{}", encoding="utf-8")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    paths = [Path(i.path).relative_to(tmp_path).as_posix() for i in iter_inputs([tmp_path])]
    assert paths == ["b.txt", "sub/a.html"]
