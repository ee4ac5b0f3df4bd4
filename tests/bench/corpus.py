"""The articles of a corpus directory, as the benches read them (no side effects on import:
unit tests use it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from services.ingest.files import InputItem, iter_inputs


def corpus_items(root: Path) -> Iterator[InputItem]:
    """Every article under `root` that `newsflow extract` reads (.txt, .html, .json, .jsonl,
    gzipped or not, in folders or not), READMEs left out."""
    for item in iter_inputs([root]):
        if Path(item.path).stem.lower() != "readme":
            yield item


def item_key(item: InputItem) -> str:
    """A name for the item that stays the same from run to run: folder, file, position."""
    path = Path(item.path)
    position = f"#{item.index}" if item.index is not None else ""
    return f"{path.parent.name}/{path.name}{position}"


def post_payloads(corpus: Path, limit: int) -> list[dict[str, str]]:
    """What apps would post for each article under `corpus` (`corpus_items`): its content as
    `text` or `html`, with the metadata its item carries."""
    payloads = []
    for item in corpus_items(corpus):
        if item.content is None:
            continue
        metadata = {"source": "bench", "external_id": item_key(item), **item.metadata()}
        payloads.append(
            {"text" if item.input_format == "text" else "html": item.content, **metadata}
        )
        if len(payloads) >= limit:
            break
    return payloads
