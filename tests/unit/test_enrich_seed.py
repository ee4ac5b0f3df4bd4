"""The seed article (tests/fixtures/alaska-summit.txt) through extraction and enrichment.

Pins what users rely on: who is in the story (one canonical name and type each), who said
what, and offsets that point into the stored body.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from services.enrich.enrichment import ArticleText, enrich_texts
from services.ingest.extraction import extract
from tests.support import SEED


def _plain(text: str) -> str:
    """Straight apostrophes and quotes, so tests can be typed on any keyboard."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


@pytest.fixture(scope="module")
def seed() -> tuple[str, dict[str, Any]]:
    extracted = extract(SEED.read_text(encoding="utf-8"), "text")
    article = ArticleText(extracted.title, extracted.body, extracted.headings, extracted.dateline)
    return extracted.body, enrich_texts([article])[0]


def _names(enrichment: dict[str, Any], kind: str) -> set[str]:
    return {e["name"] for e in enrichment["entities"] if e["type"] == kind}


def test_the_persons_are_exactly_the_three_leaders(seed: tuple[str, dict[str, Any]]) -> None:
    _, enrichment = seed
    assert _names(enrichment, "person") == {
        "Donald Trump",
        "Vladimir Putin",
        "Volodymyr Zelensky",
    }


def test_every_mention_folds_into_the_fullest_name(seed: tuple[str, dict[str, Any]]) -> None:
    _, enrichment = seed
    names = [e["name"] for e in enrichment["entities"]]
    assert len(names) == len(set(names))
    for stray in ("Trump", "Putin", "Putin Meet", "Mr. Trump", "President Putin"):
        assert stray not in names
    mentions = {e["name"]: e["mentions"] for e in enrichment["entities"]}
    # "Trump" (tagged PERSON or ORG), "Donald Trump" and the title's "Trump" are one person.
    assert mentions["Donald Trump"] >= 10
    assert mentions["Vladimir Putin"] >= 10


def test_organisations_and_places(seed: tuple[str, dict[str, Any]]) -> None:
    _, enrichment = seed
    assert "NATO" in _names(enrichment, "organization")
    assert {
        "Alaska",
        "Anchorage",  # only in the dateline
        "Ukraine",
        "Russia",
        "Moscow",
        "Washington",
        "United States",  # "U.S." and "the United States"
        "Bering Strait",
    } <= _names(enrichment, "place")


def test_first_offsets_point_into_the_body(seed: tuple[str, dict[str, Any]]) -> None:
    body, enrichment = seed
    by_name = {e["name"]: e for e in enrichment["entities"]}
    for name in ("Donald Trump", "Vladimir Putin", "Volodymyr Zelensky", "NATO"):
        offset = by_name[name]["first_offset"]
        assert body[offset : offset + len(name)] == name
    assert body[by_name["United States"]["first_offset"] :].startswith("U.S.")
    offsets = [e["first_offset"] for e in enrichment["entities"] if e["first_offset"] is not None]
    assert all(0 <= o < len(body) for o in offsets)


def test_quotes_have_their_speakers(seed: tuple[str, dict[str, Any]]) -> None:
    _, enrichment = seed
    said = {_plain(q["text"]): q["speaker"] for q in enrichment["quotes"]}
    expected = {
        # "…," Putin said
        "Alaska symbolizes our common heritage": "Vladimir Putin",
        # a second quote in the paragraph, continued from the named speaker
        "This history of allyship should help us rebuild trust today": "Vladimir Putin",
        # Putin acknowledged..., describing it as "…"
        "a tragedy and a terrible wound": "Vladimir Putin",
        # Putin said, adding that he hopes ... will "…"
        "pave the path towards peace": "Vladimir Putin",
        # Trump ... stressed ... but cautioned that "…"
        "there's no deal until there's a deal": "Donald Trump",
        "I think we're going to stop thousands of people a week from being killed": (
            "Donald Trump"
        ),
        # "President Putin" inside the quote is not its speaker
        "President Putin wants to see that as much as I do": "Donald Trump",
        # joking that he might "…": the pronoun is the last person named
        "get a little heat": "Donald Trump",
    }
    for text, speaker in expected.items():
        assert said.get(text) == speaker, text
    assert sum(1 for q in enrichment["quotes"] if q["speaker"]) >= 6


def test_unattributed_scare_quotes_are_not_listed(seed: tuple[str, dict[str, Any]]) -> None:
    _, enrichment = seed
    texts = {_plain(q["text"]) for q in enrichment["quotes"]}
    # “constructive” and “trustworthy”: words of "both leaders", no one in particular.
    assert not texts & {"constructive", "trustworthy", "constructive,", "trustworthy,"}


def test_quote_offsets_point_into_the_body(seed: tuple[str, dict[str, Any]]) -> None:
    body, enrichment = seed
    for quote in enrichment["quotes"]:
        assert body[quote["offset"] : quote["offset"] + len(quote["text"])] == quote["text"]


def test_keywords_summary_and_counts(seed: tuple[str, dict[str, Any]]) -> None:
    body, enrichment = seed
    keywords = enrichment["keywords"]
    assert 5 <= len(keywords) <= 10
    assert len({k.casefold() for k in keywords}) == len(keywords)
    assert {"Donald Trump", "Vladimir Putin"} <= set(keywords)
    summary = enrichment["summary"]
    # Sentence ends, but not the abbreviation in "U.S. President".
    sentences = re.split(r"(?<![A-Z]\.[A-Z]\.)(?:(?<=[.!?])|(?<=[.!?]”))\s+(?=[A-Z“])", summary)
    assert 2 <= len(sentences) <= 3
    assert summary.startswith("In their first official summit in years")  # the lead
    assert all(s in body for s in sentences)
    assert enrichment["word_count"] == len(body.split())
    assert enrichment["reading_time_min"] == max(1, round(enrichment["word_count"] / 230))


def test_language_and_model_versions(seed: tuple[str, dict[str, Any]]) -> None:
    _, enrichment = seed
    assert enrichment["language"] == "en"
    assert enrichment["language_confidence"] > 0.9
    models = enrichment["models"]
    assert set(models) >= {"language", "entities", "quotes", "keywords", "summary"}
    assert re.fullmatch(r"lingua-\d+\.\d+\.\d+-low-accuracy", models["language"])
    assert re.fullmatch(r"noun-phrases-\d+\+en_core_web_sm\w*-\d+\.\d+\.\d+", models["keywords"])
    assert re.fullmatch(r"en_core_web_sm\w*-\d+\.\d+\.\d+\+entity-rules-\d+", models["entities"])
