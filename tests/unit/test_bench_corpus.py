"""The benches read any corpus `newsflow extract` reads, not only the BBC folders."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.bench.corpus import corpus_items, item_key, post_payloads

BODY = "The council agreed the budget on Tuesday after a long debate in the town hall. " * 5


def _corpus(root: Path) -> Path:
    (root / "politics").mkdir(parents=True)
    (root / "politics" / "001.txt").write_text(f"Council agrees budget\n\n{BODY}")
    (root / "README.TXT").write_text("About this corpus: not an article.")
    page = (
        "<html><head><title>Bridge opens</title></head><body><article><h1>Bridge opens</h1>"
        f"<p>{BODY}</p></article></body></html>"
    )
    (root / "page.html.gz").write_bytes(gzip.compress(page.encode()))
    items = [
        {"text": f"Flood warning\n\n{BODY}", "url": "https://example.org/flood", "source": "wire"}
    ]
    (root / "feed.json").write_text(json.dumps(items))
    return root


def test_every_format_in_folders_or_not_without_readmes(tmp_path: Path) -> None:
    items = list(corpus_items(_corpus(tmp_path)))
    assert {item_key(i) for i in items} == {
        f"{tmp_path.name}/feed.json#0",
        f"{tmp_path.name}/page.html.gz",
        "politics/001.txt",
    }


def test_the_pipeline_bench_posts_html_as_html_with_the_items_metadata(tmp_path: Path) -> None:
    payloads = {p["external_id"]: p for p in post_payloads(_corpus(tmp_path), 10)}
    assert payloads["politics/001.txt"]["text"].startswith("Council agrees budget")
    assert "<article>" in payloads[f"{tmp_path.name}/page.html.gz"]["html"]
    flood = payloads[f"{tmp_path.name}/feed.json#0"]
    assert (flood["url"], flood["source"]) == ("https://example.org/flood", "wire")
