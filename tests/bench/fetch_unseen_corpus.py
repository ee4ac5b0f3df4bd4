"""Fetch a corpus of sites that fundus-dev has no page of, for tests/bench/extraction_unseen.py.

    .venv/bin/python tests/bench/fetch_unseen_corpus.py /tmp/unseen-corpus

The corpus is trafilatura's evaluation set as go-trafilatura's module carries it: about 980
pages of as many sites (news, blogs, shops, public bodies; mostly German, also English,
Polish, French, Chinese and others; 2009 to 2023), each annotated by hand with snippets the
article's text must contain and snippets it must not (navigation, comments, teasers), and
most with the title, the publication day and the authors. The module's zip comes from the Go
module proxy (a package registry, reachable where PyPI is), is read into DEST and never into
the repo. DEST ends up holding `pages/` and `annotations.json` (URL -> annotation).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

MODULE_ZIP = "https://proxy.golang.org/github.com/markusmobius/go-trafilatura/@v/v1.12.2.zip"
_ROOT = "github.com/markusmobius/go-trafilatura@v1.12.2/"
_PAGE_DIRS = (_ROOT + "test-files/comparison/", _ROOT + "test-files/mock/")
_DATA = _ROOT + "scripts/comparison/data.go"

# The Go source's tokens: a "string", a `raw string`, a name, a brace, bracket, colon, comma.
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|[A-Za-z_][A-Za-z_0-9]*|[{}\[\]:,]|\S')
_FIELDS = {"File": "file", "Title": "title", "Date": "date", "Authors": "authors"}
_LISTS = {"With": "with", "Without": "without"}


def parse_comparison_data(source: str) -> dict[str, dict[str, Any]]:
    """`var comparisonData = map[string]ComparisonEntry{"url": {File: "...", With:
    []string{...}, ...}, ...}` as a dict of the fields the bench reads."""
    body = source[source.index("map[string]ComparisonEntry{") + len("map[string]ComparisonEntry") :]
    tokens = _TOKEN.findall(body)
    position = 0

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def string(token: str) -> str:
        return token[1:-1] if token.startswith("`") else str(json.loads(token, strict=False))

    def value() -> str | list[str]:
        token = take()
        if token != "[":
            return string(token)
        take(), take(), take()  # "]", "string", "{"
        items: list[str] = []
        while (token := take()) != "}":
            if token != ",":
                items.append(string(token))
        return items

    entries: dict[str, dict[str, Any]] = {}
    if take() != "{":
        raise ValueError("data.go: no comparisonData map literal")
    while (token := take()) != "}":
        if token == ",":
            continue
        url = string(token)
        take(), take()  # ":", "{"
        entry: dict[str, Any] = {}
        while (name := take()) != "}":
            if name == ",":
                continue
            take()  # ":"
            field = value()
            key = _FIELDS.get(name) or _LISTS.get(name)
            if key:
                entry[key] = field
        entries[url] = entry
    return entries


def fetch(dest: Path, url: str = MODULE_ZIP) -> int:
    with urllib.request.urlopen(url, timeout=300) as response:
        archive = zipfile.ZipFile(io.BytesIO(response.read()))
    pages = dest / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    names = set()
    for info in archive.infolist():
        for prefix in _PAGE_DIRS:
            if info.filename.startswith(prefix) and not info.is_dir():
                name = info.filename[len(prefix) :]
                (pages / name).write_bytes(archive.read(info))
                names.add(name)
    entries = parse_comparison_data(archive.read(_DATA).decode("utf-8"))
    present = {url: e for url, e in entries.items() if e.get("file") in names}
    (dest / "annotations.json").write_text(json.dumps(present, ensure_ascii=False, indent=1))
    sys.stdout.write(f"{len(present)} annotated pages of {len(entries)} in {dest}\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="where to put pages/ and annotations.json")
    return fetch(parser.parse_args().dest)


if __name__ == "__main__":
    raise SystemExit(main())
