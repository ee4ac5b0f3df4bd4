"""Articles from files: .txt, .html, .json, .jsonl/.ndjson, each optionally gzipped.

Used by `newsflow extract` and `newsflow ingest`. A file that cannot be read becomes an
item carrying the error, so one bad file never stops a run over a directory.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from services.ingest.decoding import UndecodableInput, decode_bytes
from shared.errors import PermanentError

InputFormat = Literal["text", "html"]
_KINDS = {
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
# Metadata a JSON item may carry besides its content (the fields of POST /v1/articles).
_METADATA_FIELDS = ("url", "title", "source", "published_at", "language", "external_id")
# A gzip bomb must not take the process down: no input file expands beyond this.
MAX_FILE_BYTES = 512 * 1024 * 1024


class InputFileError(PermanentError):
    """A file (or one item in it) that holds no readable article."""

    reason = "unreadable_input"


@dataclass
class InputItem:
    """One article read from a file; `error` is set instead of `content` when unreadable."""

    path: str
    content: str | None = None
    input_format: InputFormat = "text"
    index: int | None = None  # position in a .json list or line number in a .jsonl file
    url: str | None = None
    title: str | None = None
    source: str | None = None
    published_at: str | None = None
    language: str | None = None
    external_id: str | None = None
    error: str | None = None

    def metadata(self) -> dict[str, str]:
        """The submitted metadata that is set (keys of `ArticleIn`)."""
        return {k: v for k in _METADATA_FIELDS if (v := getattr(self, k)) is not None}


def input_kind(path: Path) -> str | None:
    """text, html, json or jsonl from the file name (ignoring a final .gz), or None."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return _KINDS.get(suffixes[-1]) if suffixes else None


def find_input_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and the readable-looking files under directories, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and input_kind(p))
        else:
            yield path  # named explicitly: read it whatever its name, or report why not


def _read_bytes(path: Path) -> bytes:
    if path.suffix.lower() != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(f"not a readable gzip file: {exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise InputFileError(f"expands to more than {MAX_FILE_BYTES} bytes")
    return data


def _sniff_format(text: str) -> InputFormat:
    head = text.lstrip()[:200].lower()
    return "html" if head.startswith(("<!doctype html", "<html", "<?xml")) else "text"


def _from_json(value: Any, path: str, index: int | None) -> InputItem:
    if not isinstance(value, dict):
        return InputItem(path, index=index, error="expected a JSON object with `text` or `html`")
    has_text, has_html = isinstance(value.get("text"), str), isinstance(value.get("html"), str)
    if has_text and has_html:
        return InputItem(path, index=index, error="give exactly one of `text` or `html`, not both")
    if not (has_text or has_html):
        return InputItem(path, index=index, error="the JSON object has no `text` or `html` string")
    item = InputItem(
        path,
        content=value["html"] if has_html else value["text"],
        input_format="html" if has_html else "text",
        index=index,
    )
    for key in _METADATA_FIELDS:
        if isinstance(value.get(key), str):
            setattr(item, key, value[key])
    return item


def _parse_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputFileError(f"malformed JSON: {exc}") from exc


def read_inputs(path: Path) -> list[InputItem]:
    """The articles in one file; never raises for bad data (the items carry the error)."""
    name = str(path)
    try:
        if not path.is_file():
            raise InputFileError("no such file")
        kind = input_kind(path)
        text = decode_bytes(_read_bytes(path))
        if kind == "json":
            value = _parse_json(text)
            if isinstance(value, list):
                return [_from_json(v, name, i) for i, v in enumerate(value)] or [
                    InputItem(name, error="empty JSON list")
                ]
            return [_from_json(value, name, None)]
        if kind == "jsonl":
            items: list[InputItem] = []
            # 0-based like JSON arrays and the API's batch answers: item N is line N + 1.
            for number, line in enumerate(text.splitlines()):
                if not line.strip():
                    continue
                try:
                    items.append(_from_json(_parse_json(line), name, number))
                except InputFileError as exc:
                    items.append(InputItem(name, index=number, error=str(exc)))
            return items or [InputItem(name, error="no JSON lines")]
        input_format: InputFormat = (
            "html" if kind == "html" else "text" if kind == "text" else _sniff_format(text)
        )
        return [InputItem(name, content=text, input_format=input_format)]
    except (InputFileError, UndecodableInput) as exc:
        return [InputItem(name, error=str(exc))]
    except OSError as exc:
        return [InputItem(name, error=f"cannot read file: {exc.strerror or exc}")]


def iter_inputs(paths: Iterable[Path]) -> Iterator[InputItem]:
    """Every article in the given files and directories."""
    for file in find_input_files(paths):
        yield from read_inputs(file)
