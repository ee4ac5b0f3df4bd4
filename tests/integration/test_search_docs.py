"""docs/search.md holds true: its example table runs against a real index of its articles,
and its highlight contract holds for text full of HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_search_api import make_article, store_and_index, wipe_store_and_index
from tests.support import ROOT

pytestmark = pytest.mark.integration

DOC = (ROOT / "docs" / "search.md").read_text()


def _table(header: str) -> list[list[str]]:
    """The rows of the table whose header is `header` (cells with `\\|` unescaped)."""
    section = DOC.split(header, 1)[1]
    rows: list[list[str]] = []
    for line in section.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if set(cells[0]) <= {"-", " "}:
            continue
        rows.append(cells)
    return rows


ARTICLES = _table("| id | title | body |")
EXAMPLES = _table("| query | finds |")
HTML_BODY = 'Tom said "Tom & Jerry" <script>alert(1)</script> isn\'t <b>bold</b>, Tom.'


def test_the_doc_has_the_articles_and_examples() -> None:
    assert [a[0] for a in ARTICLES] == ["A", "B", "C", "D"]
    assert len(EXAMPLES) >= 15


@pytest.fixture(scope="module")
def api(stack: dict[str, str]) -> Iterator[TestClient]:
    from services.api.app import create_app

    wipe_store_and_index()
    rows = [make_article(f"doc-{key}", title, body) for key, title, body in ARTICLES]
    rows.append(make_article("html-escape", "Tom and Jerry", HTML_BODY, language=None))
    store_and_index(rows)
    with TestClient(create_app()) as client:
        yield client
    wipe_store_and_index()


def _found(api: TestClient, q: str) -> set[str]:
    response = api.get("/v1/search", params={"q": q, "collapse": "false", "size": 50})
    assert response.status_code == 200, response.text
    return {h["id"].removeprefix("doc-") for h in response.json()["hits"]} - {"html-escape"}


@pytest.mark.parametrize(("q", "finds"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_documented_example(api: TestClient, q: str, finds: str) -> None:
    query = q.strip("`")
    expected = set() if finds.startswith("none") else {x.strip() for x in finds.split(",")}
    assert _found(api, query) == expected


def test_highlights_are_escaped_html_with_only_em_tags(api: TestClient) -> None:
    response = api.get("/v1/search", params={"q": "tom"})
    hit = response.json()["hits"][0]
    fragments = hit["highlights"]["body"] + hit["highlights"]["title"]
    for fragment in fragments:
        assert set(re.findall(r"</?[a-z]+", fragment)) <= {"<em", "</em"}, fragment
    body = hit["highlights"]["body"][0]
    assert "&lt;script&gt;" in body
    assert "&quot;<em>Tom</em> &amp; Jerry&quot;" in body
    # What the doc tells clients to do gives back the text.
    assert html.unescape(re.sub("</?em>", "", body)) == HTML_BODY


def test_every_answer_says_whether_it_is_partial(api: TestClient) -> None:
    for params in ({"q": "blair"}, {"q": "blair", "collapse": "false"}, {}):
        assert api.get("/v1/search", params=params).json()["partial"] is False


@pytest.mark.parametrize(
    "q",
    [
        # The prefix storms of issue 9 (22 s and 92 s once): refused at once, with the bound.
        "|".join(f"{chr(97 + i % 26)}{chr(97 + i // 26)}x*" for i in range(104)),
        " ".join(f"{chr(97 + i % 26)}{chr(97 + (i // 26) % 26)}*" for i in range(333))[:1000],
        "abc* def* ghi*",
    ],
)
def test_prefix_storms_are_refused_with_the_bound(api: TestClient, q: str) -> None:
    response = api.get("/v1/search", params={"q": q})
    assert response.status_code == 422, response.text
    assert response.json()["reason"] == "invalid_request"
    assert "too complex" in response.text


NAMES_ARTICLES = [
    # Enrichment may have written older spellings: the projection makes them canonical.
    ("names-uk", [("UK", "place", 2), ("Mr Tony Blair", "person", 3)]),
    ("names-britain", [("United Kingdom", "place", 1), ("Gordon Brown", "person", 1)]),
    ("names-two-blairs", [("Tony Blair", "person", 1), ("Cherie Blair", "person", 1)]),
    ("names-us", [("U.S.", "place", 1), ("Lionel", "person", 1)]),
]


@pytest.fixture(scope="module")
def names_api(api: TestClient) -> TestClient:
    rows = [
        make_article(key, f"Names {key}", f"Body of {key}.", entities=entities)
        for key, entities in NAMES_ARTICLES
    ]
    store_and_index(rows)
    return api


def _names_found(api: TestClient, **params: str) -> set[str]:
    response = api.get("/v1/search", params={**params, "collapse": "false", "size": 50})
    assert response.status_code == 200, response.text
    return {h["id"] for h in response.json()["hits"] if h["id"].startswith("names-")}


def test_name_filters_match_however_the_name_is_written(names_api: TestClient) -> None:
    uk = {"names-uk", "names-britain"}
    for spelling in ("UK", "U.K.", "Britain", "United Kingdom", "united kingdom"):
        assert _names_found(names_api, place=spelling) == uk, spelling
    assert _names_found(names_api, place="US") == {"names-us"}
    assert _names_found(names_api, place="United States") == {"names-us"}
    # An unambiguous surname matches the full name; two Blairs in one article: not by "Blair".
    assert _names_found(names_api, person="Blair") == {"names-uk"}
    assert _names_found(names_api, person="Mr Blair") == {"names-uk"}
    assert _names_found(names_api, person="Tony Blair") == {"names-uk", "names-two-blairs"}
    assert _names_found(names_api, person="Brown") == {"names-britain"}


def test_facets_show_canonical_names(names_api: TestClient) -> None:
    facets = names_api.get("/v1/search", params={"q": "names"}).json()["facets"]
    places = {f["value"]: f["count"] for f in facets["places"]}
    assert places["United Kingdom"] == 2
    assert places["United States"] == 1
    assert not {"UK", "U.S."} & set(places)
    persons = {f["value"] for f in facets["persons"]}
    assert "Tony Blair" in persons
    assert "Mr Tony Blair" not in persons
