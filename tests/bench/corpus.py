"""The articles of a corpus directory, as the benches read them."""

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
