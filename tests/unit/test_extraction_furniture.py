"""Lines about an article rather than of it leave the body; article sentences that merely
look like them stay. Written as patterns, so a site never seen before is cleaned as well."""

from __future__ import annotations

import json

import pytest

from services.ingest.boilerplate import is_furniture, is_promotion
from services.ingest.extraction import extract

_STORY = "The council met on Tuesday and agreed the budget after a long debate. " * 3
_MORE = "Opposition members said the cuts to the library service went too far, and asked. " * 3


@pytest.mark.parametrize(
    "line",
    [
        "Veröffentlicht am 13. Mai 2026 um 15:44",
        "Stand: 22.04.2024, 06:00 Uhr",
        "Updated: March 5, 2024",
        "Sendung: Antenne Brandenburg, 24.04.2024, 15:10 Uhr",
        "3 Minuten Lesezeit",
        "4 min read",
        "Redaktion: Anna Schmidt, Tom Berg",
        "Übersetzung und Adaptierung: AFP Deutschland",
        "Additional reporting from PA",
        "\u2014Associated Press writer Jane Doe in Paris contributed to this report.",
        "Do you have a story to tell? Email: news@example.com",
        "\u2022 Email: jdoe@example.com",
        "First published in The Conversation.",
        "Dieser Artikel ist zuerst bei \u201eCapital\u201c erschienen.",
        "We independently select everything. Buying through us may earn us a commission.",
        "In diesem Artikel sind Affiliate-Links enthalten.",
        "Would you like to comment on this article?",
        "This is a breaking news story - more to follow",
        "For more stories like this, check our news page.",
        "Empfohlener redaktioneller Inhalt",
        "FUNDA OLUNYE UDABA LAPHA | Kuboshwe abahlanu besolwa ngokugwaza umfundi",
        "Pictured right, is reader Jane Doe, from Durbanville, speaking to the author.",
        "With files from The Associated Press and Jane Doe",
        "Mit Informationen der Nachrichtenagenturen dpa, AFP und Reuters.",
        "Avec l'AFP",
        "Wie hat Ihnen dieser Artikel gefallen?",
        "Was this article helpful?",
        # The heading of a box of other articles, in the languages of the corpus.
        "Weitere Themen",
        "Zum Weiterlesen:",
        "\u00c0 lire aussi",
        "Lee tambi\u00e9n",
        "Le puede interesar",
        "PUEDES VER: \u00bfQu\u00e9 es la Sunedu?",
        "Czytaj te\u017c",
        "Czytaj te\u017c: Rz\u0105d przyj\u0105\u0142 projekt",
        "Leggi anche",
        "Lees ook: Kabinet valt",
        "Schon gelesen?",
        "Empfohlene Beitr\u00e4ge",
        "Zum Newsletter anmelden",
        "We want to hear what you think about this article.",
        "Verraten Sie gerne in den Kommentaren:",
        "Wird geladen",
        # A time stamp alone, as a line of the page around the article.
        "30. Januar 2024",
        "Dienstag, 13.05.2026, 06:00 Uhr",
        "Mon, Jan 13, 2024 10:30 am",
        "2024-01-30",
        "19:49",
        "3:59 PM",
    ],
)
def test_a_line_about_the_article_is_furniture(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "The study, first published in Nature, found a link between sleep and memory.",
        "Updated figures show 3 million people were affected.",
        "The hearing is set for 30. Januar 2024 in Berlin.",
        "1989",
        "Band 14",
        "Published in 2019, the report found widespread abuse.",
        "Agents earn a commission of five percent on each sale.",
        "He declined to comment on this story.",
        "Everyone has a story to tell, she said.",
        "The offer is available until the end of May.",
        "Recherche zeigt, dass die Mieten weiter steigen.",
        "He was awarded for an outstanding achievement in an affiliate theatre.",
        "LONDON | The prime minister said on Tuesday that talks would go on.",
        "With files from the archive, the museum rebuilt the lost wing in 2019.",
        "Was this the right call? Fans were divided after the match.",
        "Weitere Themen der Sitzung waren der Haushalt und die Schulen.",
        "Saiba mais sobre o caso do ministro que renunciou ontem em Bras\u00edlia.",
        "Zobacz te\u017c, jak g\u0142osowali pos\u0142owie z twojego okr\u0119gu.",
        "In den Kommentaren unter dem Video hie\u00df es, die Polizei sei zu sp\u00e4t gekommen.",
    ],
)
def test_an_article_sentence_that_looks_like_furniture_stays(line: str) -> None:
    assert not is_furniture(line)


def test_initials_close_an_article_only_after_its_last_paragraph() -> None:
    assert is_furniture("(dmk)", after_article=True)
    assert is_furniture("MDR (dst)", after_article=True)
    assert not is_furniture("WINNERS (once)", after_article=True)


def test_a_furniture_line_inside_a_paragraph_leaves_it() -> None:
    page = (
        "<html><body><article><h1>Budget agreed</h1>"
        "<p>Veröffentlicht am 13. Mai 2026 um 15:44<br>3 Minuten Lesezeit<br>"
        "The mayor called it a fair compromise for every district.</p>"
        f"<p>{_STORY}</p><p>{_MORE}</p></article></body></html>"
    )
    got = extract(page, "html")
    assert got.paragraphs[0] == "The mayor called it a fair compromise for every district."


def test_a_list_of_links_to_other_articles_is_not_the_body() -> None:
    related = "".join(
        f'<li>Politik: <a href="/a/{n}">Another headline about the city number {n}</a></li>'
        for n in range(4)
    )
    steps = "".join(
        f"<li>Step {n}: the council <a href='/doc/{n}'>publishes</a> the draft budget.</li>"
        for n in range(3)
    )
    page = (
        "<html><body><article><h1>Budget agreed</h1>"
        f"<p>{_STORY}</p><ul>{related}</ul><ul>{steps}</ul><p>{_MORE}</p>"
        "</article></body></html>"
    )
    got = extract(page, "html")
    assert "Another headline" not in got.body
    assert "Step 2: the council publishes the draft budget." in got.body


def _json_ld(article_body: str) -> str:
    data = {"@type": "NewsArticle", "headline": "Budget agreed", "articleBody": article_body}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_a_paragraph_the_publishers_article_body_lacks_is_dropped() -> None:
    aside = "Our podcast team talks every Friday about the week in the city hall and beyond. " * 2
    page = (
        f"<html><head>{_json_ld(_STORY + ' ' + _MORE)}</head><body><article>"
        f"<h1>Budget agreed</h1><p>{_STORY}</p><p>{aside}</p><p>{_MORE}</p>"
        "</article></body></html>"
    )
    assert extract(page, "html").paragraphs == [_STORY.strip(), _MORE.strip()]


def test_a_teaser_article_body_says_nothing_about_the_paragraphs() -> None:
    page = (
        f"<html><head>{_json_ld('The council met on Tuesday.')}</head><body><article>"
        f"<h1>Budget agreed</h1><p>{_STORY}</p><p>{_MORE}</p></article></body></html>"
    )
    assert extract(page, "html").paragraphs == [_STORY.strip(), _MORE.strip()]


def test_a_pull_quote_repeating_a_paragraph_is_dropped() -> None:
    quote = "the cuts to the library service went too far"
    page = (
        "<html><body><article><h1>Budget agreed</h1>"
        f"<p>{_STORY}</p><blockquote><p>{quote.capitalize()}</p></blockquote><p>{_MORE}</p>"
        "</article></body></html>"
    )
    assert extract(page, "html").paragraphs == [_STORY.strip(), _MORE.strip()]


def test_the_article_body_stands_in_when_the_page_shows_a_fraction_of_it() -> None:
    hidden = [
        f"District {n} will receive more for its schools and roads next year. " * 3 for n in "ABC"
    ]
    hidden = [h.strip() for h in hidden]
    article_body = "\n\n".join([_STORY.strip(), _MORE.strip(), *hidden])
    page = (
        f"<html><head>{_json_ld(article_body)}</head><body><article>"
        f"<h1>Budget agreed</h1><p>{_STORY}</p><p>{_MORE}</p></article></body></html>"
    )
    assert extract(page, "html").paragraphs == [_STORY.strip(), _MORE.strip(), *hidden]


@pytest.mark.parametrize(
    "note",
    [
        "Jane Doe is a senior researcher at the city observatory and writes on housing.",
        "Korrespondentin Jane Doe berichtet seit 2019 aus der Hauptstadt.",
        "Senior Reporter Jane Doe covers housing and the city council.",
    ],
)
def test_closing_notes_about_the_author_leave_the_body(note: str) -> None:
    data = {"@type": "NewsArticle", "headline": "Budget agreed", "author": {"name": "Jane Doe"}}
    page = (
        f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head>'
        f"<body><article><h1>Budget agreed</h1><p>{_STORY}</p><p>{_MORE}</p><p>{note}</p>"
        "</article></body></html>"
    )
    got = extract(page, "html")
    assert got.authors == ["Jane Doe"]
    assert got.paragraphs == [_STORY.strip(), _MORE.strip()]


def test_a_closing_lead_in_to_a_box_left_out_leaves_the_body() -> None:
    lead_in = "Aktuelle Meldungen zum Thema finden Sie in unserem Liveblog:"
    page = (
        f"<html><body><article><h1>Budget agreed</h1><p>{_STORY}</p><p>{_MORE}</p>"
        f"<p>{lead_in}</p></article></body></html>"
    )
    assert extract(page, "html").paragraphs == [_STORY.strip(), _MORE.strip()]


def test_an_article_body_in_html_comes_out_as_text() -> None:
    hidden = [
        f"District {n} will receive more for its schools &amp; roads next year. " * 3 for n in "AB"
    ]
    article_body = "".join(f"<p>{p.strip()}</p>" for p in [_STORY, _MORE, *hidden, *hidden])
    page = (
        f"<html><head>{_json_ld(article_body)}</head><body><article>"
        f"<h1>Budget agreed</h1><p>{_STORY}</p><p>{_MORE}</p></article></body></html>"
    )
    got = extract(page, "html")
    assert "<p>" not in got.body
    assert got.paragraphs[2] == hidden[0].replace("&amp;", "&").strip()


def _with_description(description: str, above_the_article: str) -> str:
    return (
        f'<html><head><meta property="og:description" content="{description}"></head><body>'
        f"<header><h1>Budget agreed</h1>{above_the_article}</header>"
        f"<article><p>{_STORY}</p><p>{_MORE}</p></article></body></html>"
    )


def test_the_standfirst_above_the_article_leads_the_body() -> None:
    lead = "After a long night the council agreed a budget that spares the libraries."
    got = extract(_with_description(lead, f'<p class="standfirst">{lead}</p>'), "html")
    assert got.paragraphs == [lead, _STORY.strip(), _MORE.strip()]


def test_a_description_the_page_does_not_show_stays_out_of_the_body() -> None:
    lead = "After a long night the council agreed a budget that spares the libraries."
    got = extract(_with_description(lead, ""), "html")
    assert got.description == lead
    assert got.paragraphs == [_STORY.strip(), _MORE.strip()]


def test_a_caption_that_is_an_images_alt_text_leaves_the_body() -> None:
    caption = "Die Stadträtin jubelt nach der Abstimmung im Rathaus"
    page = (
        f"<html><body><article><h1>Budget agreed</h1><p>{_STORY}</p>"
        f'<div><img src="/a.jpg" alt="{caption}" title="{caption} | Foto: Jane Doe">'
        f'<p class="info">{caption}</p></div><p>{_MORE}</p></article></body></html>'
    )
    assert extract(page, "html").paragraphs == [_STORY.strip(), _MORE.strip()]


@pytest.mark.parametrize(
    "line",
    [
        # Consent notes of embedded content, in several languages.
        "Here we show you an external content chosen by our editors. Click to show it.",
        "To view this content, please accept the cookies of the video platform.",
        "Ich bin damit einverstanden, dass mir Inhalte von Drittanbietern gezeigt werden.",
        "Hier sehen Sie einen externen Inhalt, der den Text mit Karten ergänzt.",
        "Link zum Video-Inhalt",
        "Cliquez pour afficher ce contenu externe.",
        # The page selling a subscription, its app or a product.
        "Read the whole paper as an E-Paper on your tablet",
        "Start your free trial today and read without limits.",
        "Testen Sie für vier Wochen unser Digitalabo, es endet von selbst.",
        "Our readers get special offers from us and our partners.",
        "Die neue Ausgabe erscheint am Freitag, hier können Sie sie jetzt vorbestellen!",
        # The text's own provenance.
        "Dies ist eine maschinelle Übersetzung eines Artikels unserer Kollegen.",
        "This article was machine-translated and checked by an editor.",
    ],
)
def test_a_page_speaking_for_itself_is_a_promotion(line: str) -> None:
    assert is_promotion(line)


@pytest.mark.parametrize(
    "line",
    [
        "The ministry said the trial of the new vaccine was free for all volunteers.",
        "Der Vertrag sieht vor, dass externe Prüfer die Bücher einsehen.",
        "Critics said the special offers of the energy firms misled customers.",
        # News about what promotions name: displays, trials, platforms' duties, a quote.
        "The new reader uses an e-paper display made by E Ink.",
        "Users get a 30-day free trial, after which the service costs £5 a month.",
        "The company said it would enable third-party apps on its platform next year.",
        "Platforms must check third-party content under the new law.",
        "Plattformen müssen Inhalte von Dritten künftig schneller prüfen.",
        "Er sei damit einverstanden, dass die Regierung die Frist verlängert.",
        # Long article text is never a promotion, whatever it mentions.
        "The platform's free trial, regulators said, " + "was misleading customers. " * 30,
    ],
)
def test_an_article_sentence_about_offers_stays(line: str) -> None:
    assert not is_promotion(line)


def test_a_consent_note_between_paragraphs_leaves_the_body() -> None:
    note = "To view this content, you need to accept the cookies of the map provider."
    page = (
        "<html><body><article><h1>Budget agreed</h1>"
        f"<p>{_STORY}</p><p>{note}</p><p>{_MORE}</p></article></body></html>"
    )
    got = extract(page, "html")
    assert got.paragraphs == [_STORY.strip(), _MORE.strip()]


def test_a_closing_list_of_sources_leaves_the_body() -> None:
    page = (
        "<html><body><article><h1>Budget agreed</h1>"
        f"<p>{_STORY}</p><p>{_MORE}</p><p>Sources:</p>"
        "<p>City council minutes, interviews with two councillors</p></article></body></html>"
    )
    got = extract(page, "html")
    assert got.paragraphs == [_STORY.strip(), _MORE.strip()]
