"""Fetch a corpus of sites that fundus-dev has no page of, for tests/bench/extraction_unseen.py.

    .venv/bin/python tests/bench/fetch_unseen_corpus.py /tmp/unseen-corpus

The corpus is trafilatura's evaluation set as go-trafilatura's module carries it: about 980
pages of as many sites (news, blogs, shops, public bodies; mostly German, also English,
Polish, French, Chinese and others; 2009 to 2023), each annotated by hand with snippets the
article's text must contain and snippets it must not (navigation, comments, teasers), and
most with the title, the publication day and the authors. The module's zip comes from the Go
module proxy (a package registry, reachable where PyPI is), is read into DEST and never into
the repo. DEST ends up holding `pages/` and `annotations.json` (URL -> annotation).

    .venv/bin/python tests/bench/fetch_unseen_corpus.py /tmp/readability-corpus --set readability

fetches a second set the same way, from other publishers: the test pages of Mozilla's
Readability as go-readability's module carries them. Of its ~130 cases, the ~95 that are
snapshots of real sites (news from the New York Times, the Washington Post, the Guardian, the
BBC, Le Monde, Folha, La Nación, Aktuálně, heise, Yahoo Japan, QQ and others; blogs,
documentation, Wikipedia), not its unit cases of a few elements (pages under 20,000 bytes).
Each annotation, keyed by the case's name, holds the article's text as Readability's expected
output has it (`body`: a reference for body token F1, which Readability's own reading
decided) and, where its metadata states one, the publication day. Its titles and bylines are
Readability's guesses rather than annotations ("| Eleanor Ainge Roy" left in a title, "BBC
News" as a byline) and are left out.
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

import lxml.html

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


READABILITY_ZIP = "https://proxy.golang.org/codeberg.org/readeck/go-readability/v2/@v/v2.1.3.zip"
_READABILITY_PAGES = "codeberg.org/readeck/go-readability/v2@v2.1.3/test-pages/"
_REAL_SITE_BYTES = 20_000  # the unit cases are pages of a few elements, 0.2-4 KB
# Elements that end a line of the expected text: "...</p><p>Next" is two words, not one.
_LINE_ENDS = frozenset(
    {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr"}
    | {"table", "br", "blockquote", "pre", "figcaption", "section", "article", "header"}
    | {"footer", "dd", "dt"}
)


def expected_text(expected_html: str) -> str:
    """The text of Readability's expected output, a line per block element."""
    root = lxml.html.fromstring(expected_html)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _LINE_ENDS:
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def fetch_readability(dest: Path, url: str = READABILITY_ZIP) -> int:
    with urllib.request.urlopen(url, timeout=300) as response:
        archive = zipfile.ZipFile(io.BytesIO(response.read()))
    pages = dest / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    cases = sorted(
        name[len(_READABILITY_PAGES) :].split("/")[0]
        for name in archive.namelist()
        if name.startswith(_READABILITY_PAGES) and name.endswith("/source.html")
    )
    annotations: dict[str, dict[str, Any]] = {}
    for case in cases:
        folder = _READABILITY_PAGES + case
        source = archive.read(f"{folder}/source.html")
        if len(source) < _REAL_SITE_BYTES:
            continue
        (pages / f"{case}.html").write_bytes(source)
        expected = archive.read(f"{folder}/expected.html").decode("utf-8")
        metadata = json.loads(archive.read(f"{folder}/expected-metadata.json"))
        annotation: dict[str, Any] = {"file": f"{case}.html", "body": expected_text(expected)}
        if metadata.get("publishedTime"):
            annotation["date"] = metadata["publishedTime"][:10]
        annotations[case] = annotation
    (dest / "annotations.json").write_text(json.dumps(annotations, ensure_ascii=False, indent=1))
    sys.stdout.write(f"{len(annotations)} real-site pages of {len(cases)} cases in {dest}\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="where to put pages/ and annotations.json")
    parser.add_argument(
        "--set",
        choices=("trafilatura", "readability"),
        default="trafilatura",
        help="trafilatura's evaluation set (snippets, titles, dates, authors) or Readability's"
        " test pages (the article's text, dates)",
    )
    args = parser.parse_args()
    return fetch_readability(args.dest) if args.set == "readability" else fetch(args.dest)


if __name__ == "__main__":
    raise SystemExit(main())
