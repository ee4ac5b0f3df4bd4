"""Enrichment of articles other than the seed: other languages, edge cases, a batch."""

from __future__ import annotations

import time

import pytest

from services.enrich.enrichment import ArticleText, enrich_texts
from services.enrich.models import resolve_model

FRENCH = ArticleText(
    "Emmanuel Macron reçoit Olaf Scholz à Paris",
    "Le président Emmanuel Macron a reçu mardi à Paris le chancelier allemand Olaf Scholz pour "
    "un dîner de travail consacré à la défense européenne et au soutien à l'Ukraine.\n\n"
    "« Nous devons avancer ensemble, et vite, sur la défense européenne », a déclaré Emmanuel "
    "Macron à l'issue de la rencontre. Le chancelier a salué une discussion franche.\n\n"
    "Les deux dirigeants doivent se retrouver à Bruxelles la semaine prochaine pour un sommet "
    "de l'Union européenne consacré au budget.",
)
GERMAN = ArticleText(
    "Bundestag beschließt neues Heizungsgesetz",
    "Der Bundestag hat am Freitag in Berlin das umstrittene Heizungsgesetz beschlossen. "
    "Bundeskanzler Olaf Scholz verteidigte das Vorhaben in einer kurzen Rede.\n\n"
    "„Wir schaffen damit Planungssicherheit für Millionen Haushalte“, sagte Scholz nach der "
    "Abstimmung. Die Opposition kündigte Widerstand im Bundesrat an.\n\n"
    "Das Gesetz soll im kommenden Jahr in Kraft treten, nachdem auch die Länderkammer "
    "zugestimmt hat.",
)
NO_NAMES = ArticleText(
    "a quiet day",
    "it rained all day and the river rose slowly over the old stone steps. nobody in the "
    "village seemed to mind much, and the bakery stayed open until dusk.\n\n"
    "by evening the water had gone down again and the children were back outside, throwing "
    "stones into the current.",
)
UNATTRIBUTED = ArticleText(
    "Council session",
    "Maria Lopez, the mayor, opened the council session on Tuesday morning.\n\n"
    '"We will review the decision very carefully," a spokesman said after the vote.\n\n'
    'The sign on the town hall door read: "Closed until further notice, sorry for the '
    'inconvenience."\n\n'
    'The plan was described as "bold" by local papers.',
)


def _one(article: ArticleText) -> dict:
    return enrich_texts([article])[0]


def test_german_without_a_model_gets_everything_but_entities_and_speakers() -> None:
    result = _one(GERMAN)
    assert result["language"] == "de"
    assert result["language_confidence"] > 0.9
    if resolve_model("de") is None:
        # No German model is installed: NER is skipped, and `models` says so.
        assert result["entities"] == []
        assert result["models"]["entities"].startswith("none")
        assert [q["speaker"] for q in result["quotes"]] == [None]
    # „…“ quotes, keywords and sentences need no trained model.
    assert [q["text"] for q in result["quotes"]] == [
        "Wir schaffen damit Planungssicherheit für Millionen Haushalte"
    ]
    assert "Bundestag" in result["keywords"]
    assert result["summary"].startswith("Der Bundestag hat am Freitag in Berlin")
    assert result["word_count"] == len(GERMAN.body.split())


@pytest.mark.skipif(resolve_model("fr") is None, reason="fr_core_news_sm is not installed")
def test_french_entities_and_speaker_with_the_french_model() -> None:
    result = _one(FRENCH)
    assert result["language"] == "fr"
    assert result["models"]["entities"].startswith("fr_core_news")
    kinds = {e["name"]: e["type"] for e in result["entities"]}
    assert kinds["Emmanuel Macron"] == "person"
    assert kinds["Olaf Scholz"] == "person"
    assert kinds["Paris"] == "place"
    # « … », a déclaré Emmanuel Macron: the inverted subject of the speech verb.
    assert result["quotes"] == [
        {
            "text": "Nous devons avancer ensemble, et vite, sur la défense européenne",
            "speaker": "Emmanuel Macron",
            "offset": FRENCH.body.index("Nous devons"),
        }
    ]


def test_french_is_detected_whatever_the_models() -> None:
    result = _one(FRENCH)
    assert result["language"] == "fr"
    assert result["keywords"]
    assert result["summary"]


def test_an_article_without_names_has_no_entities() -> None:
    result = _one(NO_NAMES)
    assert result["language"] == "en"
    assert result["entities"] == []
    assert result["quotes"] == []
    assert result["keywords"]
    assert result["summary"].startswith("it rained all day")


def test_a_quote_nobody_is_named_for_has_speaker_null() -> None:
    result = _one(UNATTRIBUTED)
    quotes = {q["text"]: q["speaker"] for q in result["quotes"]}
    # "a spokesman said": someone speaks, but not the mayor named just before.
    assert quotes["We will review the decision very carefully"] is None
    assert quotes["Closed until further notice, sorry for the inconvenience"] is None
    # A single unattributed word is emphasis, not a quote.
    assert "bold" not in quotes


def test_a_very_long_article_is_read_to_its_end() -> None:
    paragraph = (
        "The committee met again on Monday to discuss the budget for the coming year, and the "
        "members agreed that the figures needed more work before a vote could take place."
    )
    # A single 30k-character line must be cut under the hood too, not just paragraphs.
    huge_line = " ".join([paragraph] * 180)
    body = "\n\n".join([paragraph] * 1100 + [huge_line, "Angela Merkel visited Hamburg on Friday."])
    assert len(body) > 200_000
    article = ArticleText("Budget talks", body)
    started = time.perf_counter()
    result = _one(article)
    elapsed = time.perf_counter() - started
    by_name = {e["name"]: e for e in result["entities"]}
    assert by_name["Angela Merkel"]["type"] == "person"
    assert by_name["Angela Merkel"]["first_offset"] == body.index("Angela Merkel")
    assert by_name["Hamburg"]["type"] == "place"
    assert result["word_count"] == len(body.split())
    assert result["reading_time_min"] == round(len(body.split()) / 230)
    assert elapsed < 120


def test_a_batch_keeps_the_order_and_mixes_languages() -> None:
    results = enrich_texts([GERMAN, NO_NAMES, FRENCH, ArticleText(None, "")])
    assert [r["language"] for r in results] == ["de", "en", "fr", None]
    empty = results[3]
    assert empty["entities"] == empty["quotes"] == empty["keywords"] == []
    assert empty["summary"] == ""
    assert empty["word_count"] == empty["reading_time_min"] == 0


def test_enriching_nothing_returns_nothing() -> None:
    assert enrich_texts([]) == []


def test_a_quote_continued_in_the_next_paragraph_keeps_its_speaker() -> None:
    article = ArticleText(
        "Election",
        '"We will win this election," Jane Smith told supporters in Leeds on Monday.\n\n'
        '"Our plan is simply better than theirs, and voters know it."\n\n'
        "The vote is expected in May, after a long campaign.",
    )
    quotes = [(q["text"], q["speaker"]) for q in _one(article)["quotes"]]
    assert quotes == [
        ("We will win this election", "Jane Smith"),
        ("Our plan is simply better than theirs, and voters know it", "Jane Smith"),
    ]
