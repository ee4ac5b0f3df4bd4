"""HTML extraction: article text without chrome, headings apart, metadata from the page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.ingest import webpage
from services.ingest.extracted import Extracted
from services.ingest.extraction import UnknownInputFormat, extract
from services.ingest.webpage import split_names, strip_site_name

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


@pytest.fixture(scope="module")
def article() -> Extracted:
    page = (FIXTURES / "article-jsonld.html").read_text(encoding="utf-8")
    return extract(page, "html", url="https://www.coastalcourier.example/n/1")


def test_title_is_the_headline_without_the_site_name(article: Extracted) -> None:
    assert article.title == "Harbour Bridge Reopens After Two Years of Repairs"


def test_metadata_comes_from_json_ld_and_open_graph(article: Extracted) -> None:
    assert article.authors == ["Maria Lopez", "Tom Becker"]  # the second one an @id link
    assert article.published_at == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert article.published_at.utcoffset() == timedelta(hours=1)  # the page's own zone kept
    assert article.site_name == "The Coastal Courier"
    assert article.canonical_url == "https://www.coastalcourier.example/news/harbour-bridge-reopens"
    assert article.description is not None
    assert article.description.startswith("Traffic returned to the harbour bridge")
    assert article.image == "https://www.coastalcourier.example/images/bridge.jpg"
    assert article.tags == ["Transport", "Infrastructure"]
    assert article.language == "en"


def test_body_is_the_article_paragraphs_separated_by_one_blank_line(article: Extracted) -> None:
    assert len(article.paragraphs) == 6
    assert article.body.startswith("Traffic returned to the harbour bridge on Tuesday morning")
    assert article.body.endswith("between the old town and the railway station.")
    assert "\n\n\n" not in article.body
    assert all("\n" not in p for p in article.paragraphs)


def test_headings_are_kept_apart_from_the_body(article: Extracted) -> None:
    assert article.headings == ["Why the Repairs Took So Long", "What Commuters Can Expect"]
    assert "Why the Repairs" not in article.body
    assert "Harbour Bridge Reopens" not in article.body


def test_page_chrome_is_not_in_the_body(article: Extracted) -> None:
    for chrome in ("Share on", "Sign up", "newsletter", "Related stories", "All rights", "Home"):
        assert chrome not in article.body


def test_a_page_without_an_article_has_no_body() -> None:
    page = (FIXTURES / "no-article.html").read_text(encoding="utf-8")
    assert extract(page, "html").body == ""


@pytest.mark.parametrize(
    "block",
    [
        # A CMS's CDATA or comment markers around the JSON, a raw line break inside a string,
        # a breadcrumb list and the article written one after the other.
        '//<![CDATA[\n{"@type": "NewsArticle", "headline": "Budget agreed", "author": '
        '{"@type": "Person", "name": "Jane Doe"}}\n//]]>',
        '<!-- {"@type": "NewsArticle", "headline": "Budget agreed", "author": "Jane Doe"} -->',
        '{"@type": "NewsArticle", "headline": "Budget\nagreed", "author": "Jane Doe"}',
        '[{"@type": "BreadcrumbList"}][{"@type": "NewsArticle", "headline": "Budget agreed",'
        ' "author": "Jane Doe"}]',
    ],
)
def test_json_ld_a_strict_reader_refuses_is_read_leniently(block: str) -> None:
    page = _page(
        f'<script type="application/ld+json">{block}</script><title>Home | Courier</title>'
    )
    got = extract(page, "html")
    assert (got.title, got.authors) == ("Budget agreed", ["Jane Doe"])


def test_an_article_fragment_is_extracted_too() -> None:
    fragment = (
        "<h2>Storm Warning Issued</h2>"
        "<p>The weather service issued a storm warning for the whole coast on Sunday night, "
        "advising residents to stay indoors and to secure loose objects in their gardens.</p>"
        "<p>Ferries to the islands were cancelled until at least Tuesday morning, the operator "
        "said, and schools in three districts will stay closed on Monday.</p>"
    )
    article = extract(fragment, "html")
    assert article.paragraphs[0].startswith("The weather service issued a storm warning")
    assert len(article.paragraphs) == 2


def test_a_publication_date_in_the_future_is_dropped() -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    page = (FIXTURES / "article-jsonld.html").read_text(encoding="utf-8")
    page = page.replace("2024-03-05T09:30:00+01:00", future)
    published_at = extract(page, "html").published_at
    # Another date the page states (its modification day) may stand in; never the future one.
    assert published_at is None or published_at < datetime.now(UTC)


def test_an_unknown_input_format_is_a_permanent_error() -> None:
    with pytest.raises(UnknownInputFormat):
        extract("<p>x</p>", "pdf")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Steigende Zinsen setzen Dax zu | B\u00f6rsen-Zeitung", "Steigende Zinsen setzen Dax zu"),
        (
            "Post-Vac-Syndrom: Was wissen wir? \u2013 DW \u2013 13.06.2023",
            "Post-Vac-Syndrom: Was wissen wir?",
        ),
        (
            "Golem.de - LTE-Patent: Samsung soll zerst\u00f6ren",
            "LTE-Patent: Samsung soll zerst\u00f6ren",
        ),
        # A dash inside the headline is not a site suffix.
        (
            "I sell Disney holidays - booking the right day saves you money",
            "I sell Disney holidays - booking the right day saves you money",
        ),
        # After a single angle quote (WordPress themes), and a separator with no site after it.
        ("Budget agreed \u203a Valley Gazette", "Budget agreed"),
        ("Budget agreed -", "Budget agreed"),
        # The site's name in brackets; other brackets are the headline's.
        ("Budget agreed (Valley Gazette)", "Budget agreed"),
        ("Budget agreed (updated)", "Budget agreed (updated)"),
        ("Budget agreed (3)", "Budget agreed (3)"),
        # A pipe without spaces, and a box-drawing bar.
        ("Budget agreed|Valley Gazette", "Budget agreed"),
        ("Budget agreed \u2502 Valley Gazette", "Budget agreed"),
        # Chinese, Japanese and Korean titles join the site without spaces; a site's name
        # there has a site's shape ("...网", "...新聞", "...일보"), and a channel may stand
        # between it and the headline. A dash between Latin letters or inside the headline
        # joins words.
        (
            "\u6b66\u6c49\u7684\u58f0\u97f3\uff01-\u65b0\u534e\u7f51",
            "\u6b66\u6c49\u7684\u58f0\u97f3\uff01",
        ),
        (
            "\u4eba\u5de5\u667a\u80fd\u8fc8\u4e0a\u65b0\u53f0\u9636_\u79d1\u6280_\u817e\u8baf\u7f51",
            "\u4eba\u5de5\u667a\u80fd\u8fc8\u4e0a\u65b0\u53f0\u9636",
        ),
        (
            "\u5cb8\u7530\u9996\u76f8\u304c\u8a2a\u7c73\uff5c\u671d\u65e5\u65b0\u805e",
            "\u5cb8\u7530\u9996\u76f8\u304c\u8a2a\u7c73",
        ),
        (
            "\ub300\ud1b5\ub839 \ubc29\ubbf8 - \uc870\uc120\uc77c\ubcf4",
            "\ub300\ud1b5\ub839 \ubc29\ubbf8",
        ),
        ("\u4eac-\u6caa\u9ad8\u94c1\u5f00\u901a", "\u4eac-\u6caa\u9ad8\u94c1\u5f00\u901a"),
        ("COVID-19\u75ab\u82d7\u63a5\u79cd", "COVID-19\u75ab\u82d7\u63a5\u79cd"),
    ],
)
def test_the_site_name_is_stripped_from_titles(title: str, expected: str) -> None:
    names = {"boersenzeitung", "dw", "golem", "dailystar", "valleygazette"}
    assert strip_site_name(title, names) == expected


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (
            "Felix Schr\u00f6der und J\u00f6rg Soldwisch, dpa",
            ["Felix Schr\u00f6der", "J\u00f6rg Soldwisch", "dpa"],
        ),
        ("By Samya Kullab and Vasilisa Stepanenko", ["Samya Kullab", "Vasilisa Stepanenko"]),
        ("d.kuckelkorn@example.de", []),
        # Job titles before or after a name, alone, or in a compound, in any of the languages.
        ("Holger Mann Leitender Wirtschaftsredakteur", ["Holger Mann"]),
        ("Jane Doe, Senior Reporter", ["Jane Doe"]),
        ("Redakteurin Anna Schmidt", ["Anna Schmidt"]),
        ("FOCUS-Online-Experte Anna Schmidt", ["Anna Schmidt"]),
        ("Rechtsanwalt Max Muster", ["Max Muster"]),
        ("Marie Dupont, rédactrice", ["Marie Dupont"]),
        ("Guardian staff reporter", ["Guardian staff reporter"]),  # no name in it to keep
        # "Staff" and "News" qualify a job title; alone they are part of a name or a desk.
        ("Ben Staff, Staff Writer", ["Ben Staff"]),
        ("Jane Doe, Valley News", ["Jane Doe", "Valley News"]),
        # An organisation run into the name, or the site it was written for.
        ("Vasilisa Stepanenko The Associated Press", ["Vasilisa Stepanenko"]),
        ("Jane Doe For Valleygazette.example", ["Jane Doe"]),
        # The place a byline was reported from.
        ("Associated Press in Valencia", ["Associated Press"]),
        ("Shaun Walker in Kyiv and Reuters in Moscow", ["Shaun Walker", "Reuters"]),
        ("Jane Doe in New York", ["Jane Doe"]),
        ("Women in Tech", ["Women in Tech"]),  # nothing name-shaped before "in"
        # A comment form's label and a month are no names.
        ("Name", []),
        ("Jane Doe, Apr", ["Jane Doe"]),
        ("https://www.facebook.com/someone", []),
        # The label of a link to the author's page, before the name or left alone.
        ("View all posts by Jane Doe", ["Jane Doe"]),
        ("Zum Profil von Anna Schmidt", ["Anna Schmidt"]),
        ("Jane Doe, SHOW ALL ARTICLES OF", ["Jane Doe"]),
        ("Ein Beitrag von Anna Schmidt", ["Anna Schmidt"]),
        # A follow button and a placeholder are no names; a German association keeps its "e. V.".
        ("Jane Doe, Follow", ["Jane Doe"]),
        ("No Author", []),
        ("admin", []),  # a CMS's account
        ("wordpressadmin", []),
        ("Site Admin", []),
        ("Jane Doe says", []),  # a comment's heading: a reader, not the author
        ("Edward Said", ["Edward Said"]),
        ("Deutscher Caritasverband e. V.", ["Deutscher Caritasverband e. V."]),
        ("Maria e Giovanni Rossi", ["Maria", "Giovanni Rossi"]),
        # Degrees after a name are no names; a generational suffix is part of one; quote
        # marks around a byline and a lone number are no part of any.
        ("Grant Tinsley, PhD", ["Grant Tinsley"]),
        ("Jane Roe, M.D., MPH", ["Jane Roe"]),
        ("Martin Luther King, Jr.", ["Martin Luther King Jr."]),
        ("'Jane Roe, John Doe'", ["Jane Roe", "John Doe"]),
        ("\u201eAnna Schmidt\u201c", ["Anna Schmidt"]),
        ("1", []),
        # The date run into a byline is no part of a name; a month alone is no name, and
        # "May" after a name is one without a number after it.
        ("Nathan Willis March 25, 2015", ["Nathan Willis"]),
        ("Nathan Willis March", ["Nathan Willis"]),  # the numbers already dropped
        ("Joe Wee Monday, February 12, 2018", ["Joe Wee"]),
        ("Jane Doe - Apr 16, 2015 8:02 pm UTC", ["Jane Doe"]),
        ("Jean Dupont le 12 mars 2021", ["Jean Dupont"]),
        ("Jane Doe, Updated 3 hours ago", ["Jane Doe"]),
        ("Anna Schmidt Stand", ["Anna Schmidt"]),  # "Stand: 12.03.2021", as of that day
        ("February", []),
        ("Theresa May", ["Theresa May"]),
        ("Theresa May, 3 June 2020", ["Theresa May"]),
        ("August Diehl", ["August Diehl"]),
        # Credits for the editing, the review or the translation name no author of the text.
        ("Rob Ewaschuk Edited by Betsy Beyer", ["Rob Ewaschuk"]),
        ("Medically reviewed by Anna Roe, MD \u2014 Written by Ben Doe", ["Ben Doe"]),
        ("Reporting by Jane Doe; Editing by John Roe", ["Jane Doe"]),
    ],
)
def test_author_strings_are_split_into_names(value: str, names: list[str]) -> None:
    assert split_names(value) == names


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("Von: Bill MCCARTHY, Marisha GOLDHAMER", ["Bill MCCARTHY", "Marisha GOLDHAMER"]),
        ("von Katja Belousova", ["Katja Belousova"]),
        ("Par Jean-Luc Martin et Anne de la Tour", ["Jean-Luc Martin", "Anne de la Tour"]),
        ("Por Ana Mart\u00edn y Luis G\u00f3mez", ["Ana Mart\u00edn", "Luis G\u00f3mez"]),
        ("Di Mario Rossi e Luca Bianchi", ["Mario Rossi", "Luca Bianchi"]),
        ("Door Jan de Vries en Els Jansen", ["Jan de Vries", "Els Jansen"]),
        ("Av Ola Nordmann og Kari Nordmann", ["Ola Nordmann", "Kari Nordmann"]),
        ("Text: Anna Schmidt", ["Anna Schmidt"]),
        ("Story by Tom Lee", ["Tom Lee"]),
        # A credits line: the text's authors, not the photographer or the illustrator.
        ("Text von Anna Schmidt Illustration von Max Muster", ["Anna Schmidt"]),
        ("Text: Anna Schmidt, Fotos: Max Muster", ["Anna Schmidt"]),
        ("Von Anna Schmidt | Fotos: dpa", ["Anna Schmidt"]),
        # The date after the names.
        ("By Nathan Willis March 25, 2015", ["Nathan Willis"]),
        ("Von Anna Schmidt, 12. M\u00e4rz 2021, 14:05 Uhr", ["Anna Schmidt"]),
        ("Geschrieben von Anna Schmidt", ["Anna Schmidt"]),
        ("Von:Anna Schmidt", ["Anna Schmidt"]),  # no space after the colon
        ("Par Kab Niang le 12 mai 2022", ["Kab Niang"]),  # "le" starts the date
    ],
)
def test_a_byline_line_leaves_the_body_for_the_authors(line: str, names: list[str]) -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = f"<html><body><article><h1>Budget agreed</h1><p>{line}</p><p>{story}</p>"
    page += f"<p>{story}</p></article></body></html>"
    got = extract(page, "html")
    assert line not in got.body
    assert got.authors == names


def test_a_later_byline_line_signs_a_teaser_not_the_article() -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        f"<html><body><article><h1>Budget agreed</h1><p>By Jane Doe</p><p>{story}</p>"
        f"<p>{story}</p><p>Interview<br>By Ian Bell</p></article></body></html>"
    )
    got = extract(page, "html")
    assert got.authors == ["Jane Doe"]
    assert "Ian Bell" not in got.body


@pytest.mark.parametrize(
    "line",
    [
        "By the end of the year, prices rose sharply.",
        "Von Montag an gilt die neue Regel.",
        "Text Messages Show Doubts",  # a label without its colon is no byline
        "By Christmas 2020 most shops had closed.",
        "By March 2021 the works were done.",
    ],
)
def test_a_sentence_that_starts_like_a_byline_stays(line: str) -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = f"<html><body><article><h1>Budget agreed</h1><p>{story}</p><p>{line}</p>"
    page += f"<p>{story}</p></article></body></html>"
    got = extract(page, "html")
    assert line in got.body
    assert got.authors == []


def _page(head: str, before_article: str = "") -> str:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    return (
        f"<html><head>{head}</head><body>{before_article}<article><p>{story}</p><p>{story}</p>"
        "</article></body></html>"
    )


def test_a_section_suffix_is_dropped_when_another_title_of_the_page_lacks_it() -> None:
    headline = '{"@type": "NewsArticle", "headline": "Budget agreed after long debate | Politics"}'
    page = _page(
        f'<script type="application/ld+json">{headline}</script>'
        '<meta property="og:title" content="Budget agreed after long debate">'
    )
    assert extract(page, "html").title == "Budget agreed after long debate"


def test_a_headline_that_merely_starts_like_another_title_is_kept() -> None:
    headline = '{"@type": "NewsArticle", "headline": "Budget agreed after long debate"}'
    page = _page(
        f'<script type="application/ld+json">{headline}</script>'
        '<meta property="og:title" content="Budget agreed">'
    )
    assert extract(page, "html").title == "Budget agreed after long debate"


def test_the_site_domain_is_stripped_from_the_title() -> None:
    page = _page("<title>Budget agreed after long debate | MDR.DE</title>")
    got = extract(page, "html", url="https://www.mdr.de/nachrichten/budget-100.html")
    assert got.title == "Budget agreed after long debate"


def test_a_title_cut_short_gives_way_to_the_longer_title_it_was_cut_from() -> None:
    headline = '{"@type": "NewsArticle", "headline": "Budget agreed after a long deb\u2026"}'
    page = _page(
        f'<script type="application/ld+json">{headline}</script>'
        "<title>Budget agreed after a long debate in the council | Courier</title>"
    )
    got = extract(page, "html", url="https://www.courier.example/budget")
    assert got.title == "Budget agreed after a long debate in the council"


def test_a_meta_title_cut_at_an_unescaped_quote_gives_way_to_the_whole_title() -> None:
    page = _page(
        '<meta property="og:title" content="Senator calls rival "unfit"">'
        '<title>Senator calls rival "unfit" | Courier</title>'
    )
    got = extract(page, "html", url="https://www.courier.example/senator")
    assert got.title == 'Senator calls rival "unfit"'


def test_a_title_ending_in_an_ellipsis_that_no_other_title_extends_is_kept() -> None:
    page = _page('<meta property="og:title" content="What comes next for the budget...">')
    assert extract(page, "html").title == "What comes next for the budget..."


@pytest.mark.parametrize(
    ("section", "title", "expected"),
    [
        (
            '<meta property="article:section" content="Politics">',
            "Politics: Budget agreed after long debate",
            "Budget agreed after long debate",
        ),
        (
            '<script type="application/ld+json">{"@type": "BreadcrumbList", "itemListElement":'
            ' [{"@type": "ListItem", "position": 1, "name": "Sport"}]}</script>',
            "Sport | Budget agreed after long debate",
            "Budget agreed after long debate",
        ),
        # A prefix that is not the page's section stays: it is part of the headline.
        (
            '<meta property="article:section" content="Politics">',
            "Budget row: Council agrees after long debate",
            "Budget row: Council agrees after long debate",
        ),
    ],
)
def test_a_section_prefix_goes_only_when_the_page_names_that_section(
    section: str, title: str, expected: str
) -> None:
    page = _page(f'{section}<meta property="og:title" content="{title}">')
    assert extract(page, "html").title == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Budget agreed after long debate | Courier | Politics", "Budget agreed after long debate"),
        ("Budget agreed after long debate - Politics", "Budget agreed after long debate"),
        # A last part that is not the page's section is the headline's.
        ("Budget agreed - after long debate", "Budget agreed - after long debate"),
    ],
)
def test_a_section_suffix_goes_with_the_site_name_when_the_page_names_that_section(
    title: str, expected: str
) -> None:
    page = _page(
        f'<meta property="article:section" content="Politics">'
        f'<meta property="og:title" content="{title}">'
    )
    got = extract(page, "html", url="https://www.courier.example/budget")
    assert got.title == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Budget agreed after long debate | CBC News", "Budget agreed after long debate"),
        ("Budget agreed after long debate - The CBC", "Budget agreed after long debate"),
        # The site's name with a whole clause after it is part of the headline.
        (
            "CBC board agrees budget - after long debate",
            "CBC board agrees budget - after long debate",
        ),
        # A number beside a word is no site name ("BUDGET 3.0 | Headline").
        (
            "Budget agreed after long debate | Version 3.0",
            "Budget agreed after long debate | Version 3.0",
        ),
    ],
)
def test_the_site_name_with_a_word_beside_it_is_stripped(title: str, expected: str) -> None:
    page = _page(
        f'<meta property="og:site_name" content="CBC"><meta property="og:title" content="{title}">'
    )
    assert extract(page, "html", url="https://www.cbc.ca/news/budget").title == expected


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        (
            '<h1><span class="topline">Council</span> <span>Budget agreed</span></h1>',
            "Council: Budget agreed",
        ),
        # A kicker that ends in its own punctuation keeps it.
        ("<h1><span>Exclusive:</span><span>Budget agreed</span></h1>", "Exclusive: Budget agreed"),
        # Words inside the headline's text are not a kicker.
        ("<h1>Budget <em>finally</em> agreed</h1>", "Budget finally agreed"),
        # An empty <h1> (a logo) is not the headline.
        ('<h1><a href="/"><img src="logo.png"></a></h1><h1>Budget agreed</h1>', "Budget agreed"),
    ],
)
def test_the_headline_heading_is_read_with_its_kicker_apart(heading: str, expected: str) -> None:
    assert extract(_page("", before_article=heading), "html").title == expected


@pytest.mark.parametrize(
    ("first_h1", "headline"),
    [
        ("<h1>Menu</h1>", "Budget agreed after long debate"),
        ("<h1>Navigation und Service</h1>", "Budget agreed after long debate"),
        ("<h1>Courier</h1><h1>Sections</h1>", "Budget agreed after long debate"),
        # Soft hyphens in the headline's <h1> do not split its words.
        ("<h1>Courier</h1>", "Bud\u00adget agreed after long de\u00adbate"),
    ],
)
def test_of_several_h1s_the_headline_is_the_one_the_title_tag_repeats(
    first_h1: str, headline: str
) -> None:
    page = _page(
        "<title>Budget agreed after long debate \u2013 Courier</title>",
        before_article=f"<header>{first_h1}</header><h1>{headline}</h1>",
    )
    got = extract(page, "html", url="https://www.courier.example/budget")
    assert got.title == "Budget agreed after long debate"


@pytest.mark.parametrize(
    ("h1", "expected"),
    [
        # A lone <h1> naming the site's section, the headline in an <h2> the <title> repeats.
        ("Allergies Health Center", "Babies who eat peanuts early may avoid allergy"),
        # An <h1> sharing a word with the <title> is the headline, whatever the <h2> says.
        ("Peanuts: new advice for babies", "Peanuts: new advice for babies"),
    ],
)
def test_a_section_h1_gives_way_to_the_heading_the_title_tag_repeats(
    h1: str, expected: str
) -> None:
    page = _page(
        "<title>Babies who eat peanuts early may avoid allergy</title>",
        before_article=f"<h1>{h1}</h1><h2>Babies who eat peanuts early may avoid allergy</h2>",
    )
    assert extract(page, "html").title == expected


def test_a_lone_h1_stays_the_headline_when_the_title_tag_is_the_sites_alone() -> None:
    page = _page(
        "<title>Courier: news from the valley</title>",
        before_article="<h1>Budget agreed after long debate</h1><h2>Weather</h2>",
    )
    assert extract(page, "html").title == "Budget agreed after long debate"


def test_the_title_tag_comes_before_a_box_heading_when_the_page_states_no_headline() -> None:
    page = _page(
        "<title>Budget agreed after long debate | Courier</title>",
        before_article='<aside><h2 class="boxheadline">Weather</h2><p>Sunny</p></aside>',
    )
    got = extract(page, "html", url="https://www.courier.example/budget")
    assert got.title == "Budget agreed after long debate"


def test_site_names_come_from_the_application_name_and_double_colons_separate() -> None:
    page = _page(
        '<meta name="application-name" content="Valley Gazette">'
        "<title>Budget agreed after long debate :: Valley Gazette</title>"
    )
    assert extract(page, "html").title == "Budget agreed after long debate"


def test_a_date_that_the_title_carries_is_the_publication_date_when_nothing_else_says() -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        "<html><head><title>Budget agreed | Gazette | 28.04.2023</title>"
        '<meta property="og:site_name" content="Gazette"></head><body>'
        f'<aside><span class="date">24.04.2023</span> Another story</aside><article><p>{story}'
        f"</p><p>{story}</p></article></body></html>"
    )
    got = extract(page, "html")
    assert got.published_at is not None
    assert got.published_at.date() == datetime(2023, 4, 28).date()
    assert got.title == "Budget agreed"


_RUN_ON_WORDS = ["council", "budget", "road", "school", "harbour", "bridge", "repair", "week"]


def _run_on_paragraphs(paragraph_words: int) -> list[str]:
    return [
        " ".join(_RUN_ON_WORDS[(i + n) % len(_RUN_ON_WORDS)] for n in range(paragraph_words)) + "."
        for i in range(12)
    ]


def _run_on_page(paragraph_words: int) -> str:
    """12 paragraphs of `paragraph_words` words after a lead image, separated only by empty
    spans (no <p>, no <br>): trafilatura's fast path returns them as one block."""
    text = "".join(f'{p}<span class="br"></span>' for p in _run_on_paragraphs(paragraph_words))
    return (
        "<html><head><title>Budget agreed</title></head><body><div class='story'>"
        "<h1>Budget agreed</h1><div class='text'><section><div><img src='lead.jpg'"
        f" alt='The council'></div></section>{text}</div></div></body></html>"
    )


def _trafilatura_passes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records each trafilatura pass of an extraction: whether it was the fast path."""
    calls: list[bool] = []
    real = webpage._trafilatura

    def recording(*args: Any, fast: bool, with_metadata: bool) -> Any:
        calls.append(fast)
        return real(*args, fast=fast, with_metadata=with_metadata)

    monkeypatch.setattr(webpage, "_trafilatura", recording)
    return calls


def test_a_block_longer_than_any_paragraph_gets_its_paragraphs_from_trafilaturas_fallbacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passes = _trafilatura_passes(monkeypatch)
    got = extract(_run_on_page(60), "html")
    # 12 x 60 words is no paragraph: the fallbacks give the page's paragraphs back.
    assert passes == [True, False]
    assert got.body.split("\n\n") == _run_on_paragraphs(60)


@pytest.mark.parametrize("paragraph_words", [30, 1000])
def test_a_block_that_could_be_a_paragraph_or_a_hostile_page_gets_one_pass(
    monkeypatch: pytest.MonkeyPatch, paragraph_words: int
) -> None:
    passes = _trafilatura_passes(monkeypatch)
    got = extract(_run_on_page(paragraph_words), "html")
    # 12 x 30 words could be one paragraph; 12,000 words are more than an article has (a
    # hostile page: a second pass would double its time for nothing).
    assert passes == [True]
    assert "council budget road" in got.body


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ('{"@type": "Organization", "name": "Valley Gazette"}', ["Jane Doe", "John Roe"]),
        ("null", ["Jane Doe", "John Roe"]),
        # An agency is a byline of its own, and so is a person.
        ('{"@type": "Organization", "name": "dpa"}', ["dpa"]),
        ('{"@type": "Person", "name": "Anna Schmidt"}', ["Anna Schmidt"]),
    ],
)
def test_a_byline_in_the_markup_names_the_authors_when_the_page_names_only_itself(
    author: str, expected: list[str]
) -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        '<html><head><meta property="og:site_name" content="Valley Gazette">'
        f'<script type="application/ld+json">{{"@type": "NewsArticle", "author": {author}}}'
        "</script></head><body><article><h1>Budget agreed</h1>"
        '<div class="article-author"><span>Von</span> <a href="/a/1">Jane Doe</a> und '
        f'<a href="/a/2">John Roe</a></div><p>{story}</p><p>{story}</p></article></body></html>'
    )
    assert extract(page, "html").authors == expected


def _byline_page(byline: str, menu: str = "") -> str:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    return (
        '<html><head><meta property="og:site_name" content="Valley Gazette"></head><body>'
        f"<nav><ul>{menu}</ul></nav><article><h1>Budget agreed</h1><div><div>{byline}</div>"
        "<time>5 March 2024</time></div>"
        f"<p>{story}</p><p>{story}</p></article></body></html>"
    )


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        # The link's text is the slug of a page in a directory of people, in any language.
        ('Von <a href="/autoren/joerg-mueller/">Jörg Müller</a>', ["Jörg Müller"]),
        (
            '<a href="/author/jane-doe-1.4736637">Jane Doe</a> <span>Senior Reporter</span>',
            ["Jane Doe"],
        ),
        ('<a href="/journalist/123/Jon-Roe">Jon Roe</a>', ["Jon Roe"]),
        ('<a href="/meet-the-team/jon-roe-x7k2">Jon Roe</a>', ["Jon Roe"]),
        # A news agency beside the people of a byline comes along too.
        ('<a href="/team/ann-lee/">Ann Lee</a> and <span>AP</span>', ["Ann Lee", "AP"]),
        ('von <a href="/autoren/name/max-kolb">Dr. Max Kolb</a>', ["Dr. Max Kolb"]),
        # Names of the same byline without a link of their own come along...
        (
            '<a href="/team/ann-lee/">Ann Lee</a>, <span>Bo Chan</span> und <span>Cy Dahl</span>',
            ["Ann Lee", "Bo Chan", "Cy Dahl"],
        ),
        # ... but not what only stands next to them (a role, a follow button).
        (
            '<a href="/autor/ann-lee">Ann Lee</a><span>Redaktionsleiterin</span>'
            '<a href="/autor/ann-lee/follow">Follow</a>',
            ["Ann Lee"],
        ),
        # A link to an article or a topic page is no byline, even with a name as its text.
        ('<a href="/thema/olaf-scholz/">Olaf Scholz</a>', []),
        # ... nor is a link in a sentence, even to a page in a directory of people.
        (
            '<p>The chancellor, <a href="/people/olaf-scholz">Olaf Scholz</a>, said on Monday'
            " that the budget would pass.</p>",
            [],
        ),
        ('<a href="/people/ben-staff">Ben Staff</a>', ["Ben Staff"]),
        ('<a href="/personen/council-agrees-the-budget">Council agrees the budget</a>', []),
    ],
)
def test_the_byline_links_to_the_authors_pages_name_them(byline: str, expected: list[str]) -> None:
    assert extract(_byline_page(byline), "html").authors == expected


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        # A blog signs with a handle or a first name: its author link's text is the slug.
        ('By <span class="author vcard"><a href="/author/daniel">Daniel</a></span>', ["Daniel"]),
        (
            '<span class="author"><a href="/author/freeman1984/">freeman1984</a></span>',
            ["freeman1984"],
        ),
        # Not a link without the author markup.
        ('<span><a href="/author/freeman1984/">freeman1984</a></span>', []),
    ],
)
def test_a_blogs_author_link_names_its_handle(byline: str, expected: list[str]) -> None:
    assert extract(_byline_page(byline), "html").authors == expected


def test_a_script_inside_a_byline_block_does_not_make_it_prose() -> None:
    # An e-mail obfuscator's code beside the name is no text of the byline.
    script = "<script>var kode = '" + "x" * 600 + "';</script>"
    byline = f'By <span><a href="/authors/jane-doe">Jane Doe</a>{script}</span>'
    teaser = '<div class="more"><div><a href="/authors/ian-bell">Ian Bell</a></div></div>'
    page = _byline_page(byline).replace("</article>", f"</article>{teaser}")
    assert extract(page, "html").authors == ["Jane Doe"]


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # Microdata's author, its name inside, before a teaser's byline further down.
        (
            '<li itemprop="author" itemscope itemtype="http://schema.org/Person">'
            '<a href="/profiles/janedoe/"><span itemprop="name">Jane Doe</span></a>'
            "<span>covers the council for the Gazette since 2015</span></li>",
            ["Jane Doe"],
        ),
        # The publisher as the author names no one; nor does a comment's author.
        (
            '<li itemprop="author" itemscope itemtype="https://schema.org/Organization">'
            '<span itemprop="name">Valley Gazette</span></li>',
            ["Ian Bell"],
        ),
        (
            '<li itemprop="comment" itemscope itemtype="https://schema.org/Comment">'
            '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
            '<span itemprop="name">Jane Doe</span></span> wrote: so true</li>',
            ["Ian Bell"],
        ),
    ],
)
def test_microdata_authors_name_the_authors(markup: str, expected: list[str]) -> None:
    teaser = '<div class="promo"><span class="author">by <span>Ian Bell</span></span></div>'
    page = _byline_page(f"<ul>{markup}</ul>").replace("</article>", f"{teaser}</article>")
    page = page.replace(
        "<article>", '<article itemscope itemtype="https://schema.org/NewsArticle">'
    )
    assert extract(page, "html").authors == expected


def test_author_links_in_a_menu_are_no_byline() -> None:
    menu = '<li><a href="/author/ian-bell">Ian Bell</a></li>'
    page = _byline_page('By <a href="/author/amy-fox">Amy Fox</a>', menu)
    assert extract(page, "html").authors == ["Amy Fox"]
    no_byline = _byline_page("", menu)
    assert extract(no_byline, "html").authors == []


@pytest.mark.parametrize(
    ("meta_author", "expected"),
    [
        ("Valley Gazette, Jane Doe", ["Jane Doe"]),  # the site's own name beside a person
        ("Jane Doe, Sep 2", ["Jane Doe"]),  # a date read as a name
        ("Valley Gazette", ["Valley Gazette"]),  # the site alone: the reference keeps it
        # The site's address after its name names no one; a person after it does.
        ("valleygazette.example, Frankfurt, Germany", ["valleygazette.example"]),
        ("Valley Gazette, Jane Doe, dpa", ["Jane Doe", "dpa"]),
    ],
)
def test_a_byline_read_off_the_page_puts_people_before_the_sites_name(
    meta_author: str, expected: list[str]
) -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        '<html><head><meta property="og:site_name" content="Valley Gazette">'
        f'<meta name="author" content="{meta_author}"></head><body><article>'
        f"<h1>Budget agreed</h1><p>{story}</p><p>{story}</p></article></body></html>"
    )
    assert extract(page, "html", url="https://www.valleygazette.example/n/1").authors == expected


def test_citation_meta_tags_write_the_last_name_first() -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        '<html><head><meta name="citation_author" content="Brazil, Rachel">'
        '<meta name="citation_author" content="de Vries, Jan"></head><body><article>'
        f"<h1>Budget agreed</h1><p>{story}</p><p>{story}</p></article></body></html>"
    )
    assert extract(page, "html").authors == ["Rachel Brazil", "Jan de Vries"]


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("<ul><li><strong>Autorin/Autor</strong> Roman Gonch</li></ul>", ["Roman Gonch"]),
        ("<dl><dt>Author</dt><dd>Jane Doe and John Roe</dd></dl>", ["Jane Doe", "John Roe"]),
        # A label followed by something other than names names nobody.
        ("<p><b>Text</b> messages show the council was warned twice.</p>", []),
    ],
)
def test_names_after_an_author_label_of_their_own_are_the_authors(
    byline: str, expected: list[str]
) -> None:
    assert extract(_byline_page(byline), "html").authors == expected


@pytest.mark.parametrize(
    ("name", "meta_author"),
    [
        ("author", "valleygazette.example"),
        ("author", "JANE DOE"),
        ("cXenseParse:author", "Jane Doe"),  # an analytics vendor's tag, as many sites write
    ],
)
def test_the_author_meta_tag_is_taken_as_the_page_writes_it(name: str, meta_author: str) -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        f'<html><head><meta name="{name}" content="{meta_author}"></head><body><article>'
        f"<h1>Budget agreed</h1><p>{story}</p><p>{story}</p></article></body></html>"
    )
    assert extract(page, "html").authors == [meta_author]


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("Von Anna Schmidt, Frankfurt", ["Anna Schmidt"]),  # the place it was written in
        ("Von Anna Schmidt, AFP", ["Anna Schmidt", "AFP"]),  # an agency stays
    ],
)
def test_a_markup_bylines_place_is_no_author(byline: str, expected: list[str]) -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        f'<html><body><article><h1>Budget agreed</h1><h5 class="authorline">{byline}</h5>'
        f"<p>{story}</p><p>{story}</p></article></body></html>"
    )
    assert extract(page, "html").authors == expected


def test_a_byline_in_the_markup_comes_before_a_meta_tag_naming_the_publishers_group() -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        '<html><head><meta name="author" content="Valley Media Group"></head><body><article>'
        '<h1>Budget agreed</h1><p class="byline">By Jane Doe</p>'
        f"<p>{story}</p><p>{story}</p></article></body></html>"
    )
    assert extract(page, "html").authors == ["Jane Doe"]


@pytest.mark.parametrize(
    "teaser",
    [
        '<a href="/n/2"><h3>Roads reopen</h3><span class="author">By Ian Bell</span></a>',
        '<article><h3>Roads reopen</h3><span class="author">By Ian Bell</span></article>',
        '<div class="related-stories"><h3>Roads reopen</h3><span class="author">By Ian Bell'
        "</span></div>",
    ],
)
def test_a_teasers_byline_names_nobody(teaser: str) -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    signed = '<p class="author">Von Amy Fox</p>'
    page = (
        "<html><body><article><h1>Budget agreed</h1>"
        f"<p>{story}</p><p>{story}</p>{teaser}{signed}</article></body></html>"
    )
    # The article's own byline, though the teaser's comes first in the markup.
    assert extract(page, "html").authors == ["Amy Fox"]


def _page_with_head(head: str, body_extra: str = "") -> str:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    return (
        f'<html><head><meta property="og:site_name" content="Valley Gazette">{head}</head>'
        f"<body><article><h1>Budget agreed</h1><p>{story}</p><p>{story}</p>{body_extra}"
        "</article></body></html>"
    )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # An analytics data layer, app state and a JSON meta tag, under well-known keys.
        ('<script>dataLayer.push({"page": {"author": "Jane Doe"}});</script>', ["Jane Doe"]),
        (
            '<script>window.__STATE__ = {"article": {"authors": [{"name": "Jane Doe"},'
            ' {"name": "AP"}]}};</script>',
            ["Jane Doe", "AP"],
        ),
        (
            '<script type="application/json">{"props": {"gtm": {"contentAuthor":'
            ' "Jane Doe (jdo)|Jon Roe"}}}</script>',
            ["Jane Doe", "Jon Roe"],
        ),
        (
            '<meta name="analytics" content="{&quot;article&quot;:'
            '{&quot;author&quot;:&quot;Jane Doe&quot;}}">',
            ["Jane Doe"],
        ),
        # A value that is no name (a user slug, a template, an e-mail address) names nobody.
        ('<script>var pageData = {"author": "jane_doe"};</script>', []),
        ('<script>var pageData = {"author": "$context.authors"};</script>', []),
        ('<script>var pageData = {"authors": "desk@example.com"};</script>', []),
        # Neither does JavaScript that is not JSON, nor an author key in free script text.
        ("<script>var pageData = {author: 'Jane Doe'};</script>", []),
        ('<script>track("author", "Jane Doe");</script>', []),
    ],
)
def test_the_pages_data_scripts_name_the_authors_when_nothing_else_does(
    head: str, expected: list[str]
) -> None:
    assert extract(_page_with_head(head), "html").authors == expected


def test_the_pages_data_scripts_come_before_the_author_meta_tag() -> None:
    # The meta tag names the translator; the page's data names the writer.
    head = (
        '<meta name="author" content="Ian Bell">'
        '<script>var pageData = {"author": "Jane Doe"};</script>'
    )
    assert extract(_page_with_head(head), "html").authors == ["Jane Doe"]


def test_hostile_data_scripts_name_nobody_and_break_nothing() -> None:
    # Thousands of assignments, a nesting deeper than the parser goes, an author after them
    # all: read within a budget of characters, the article still extracted.
    many = "var x = [" * 300 + "; " + 'var y = {"a": 1}; ' * 300
    late = '<script>var pageData = {"author": "Jane Doe"};</script>'
    head = f"<script>{many}</script><script>var deep = {'[' * 100_000};</script>{late}"
    got = extract(_page_with_head(head), "html")
    assert got.authors == []
    assert got.body.startswith("The council met on Tuesday")


@pytest.mark.parametrize(
    "teaser",
    [
        '<div class="related"><h3>Roads reopen</h3><div class="authors">von Ian Bell</div></div>',
        '<article><h3>Roads reopen</h3><span class="author">By Ian Bell</span></article>',
    ],
)
def test_a_name_only_teasers_bylines_give_is_no_author(teaser: str) -> None:
    assert extract(_page_with_head("", teaser), "html").authors == []


def test_a_date_in_its_own_element_beside_a_linked_byline_hides_no_agency() -> None:
    byline = (
        '<div><a href="/team/ann-lee/">Ann Lee</a> and <span>AP</span>'
        "<p><time>June 30, 2026 - 4.34pm</time></p></div>"
    )
    assert extract(_byline_page(byline), "html").authors == ["Ann Lee", "AP"]


def test_a_linked_name_run_into_the_site_name_stays_the_linked_name() -> None:
    byline = (
        '<div><a href="/profile/ann-lee"><span>Ann Lee</span></a><span>Valley Gazette</span>'
        '</div><div><a href="mailto:ann@example.com">Ann Lee</a></div>'
    )
    assert extract(_byline_page(byline), "html").authors == ["Ann Lee"]


@pytest.mark.parametrize(
    ("byline", "expected"),
    [("dpa", ["dpa"]), ("AFP, Reuters", ["AFP", "Reuters"]), ("Valley News", ["Ian Bell"])],
)
def test_a_byline_element_of_news_agencies_alone_names_them(
    byline: str, expected: list[str]
) -> None:
    # Before the author meta tag (here a name the article's byline does not give).
    head = '<meta name="author" content="Ian Bell">'
    page = _page_with_head(head, f'<div class="author-box">{byline}</div>')
    assert extract(page, "html").authors == expected


def _titled_page(headline: str, og_title: str) -> str:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    linked = f'{{"@type": "NewsArticle", "headline": "{headline}"}}'
    return (
        f'<html><head><meta property="og:title" content="{og_title}">'
        f'<script type="application/ld+json">{linked}</script></head><body><article>'
        f"<h1>{headline}</h1><p>{story}</p><p>{story}</p></article></body></html>"
    )


@pytest.mark.parametrize(
    ("headline", "og_title", "expected"),
    [
        # A kicker or a trailing clause only one of the two adds: the headline both state.
        (
            "Town hall: Council agrees the budget for next year",
            "Council agrees the budget for next year",
            "Council agrees the budget for next year",
        ),
        (
            "Council agrees the budget for next year after a long debate",
            "Council agrees the budget for next year",
            "Council agrees the budget for next year",
        ),
        # Two different headlines: the JSON-LD one, as before.
        (
            "Council agrees the budget for next year",
            "Budget passes after a long debate",
            "Council agrees the budget for next year",
        ),
        # A few words inside the headline are no headline of their own.
        (
            "Council agrees the budget for next year",
            "The budget",
            "Council agrees the budget for next year",
        ),
    ],
)
def test_the_headline_both_the_json_ld_and_og_title_state_is_the_title(
    headline: str, og_title: str, expected: str
) -> None:
    assert extract(_titled_page(headline, og_title), "html").title == expected


def test_a_page_with_no_date_in_its_markup_takes_the_one_its_text_states() -> None:
    page = _page("<title>Budget agreed</title>", "<p>Veröffentlicht am 29. Oktober 2021</p>")
    got = extract(page, "html")
    assert got.published_at is not None
    assert got.published_at.date() == datetime(2021, 10, 29).date()


def test_a_bare_year_in_the_text_is_no_publication_date() -> None:
    page = _page("<title>Budget agreed</title>", "<footer>© 2019 Valley Gazette</footer>")
    assert extract(page, "html").published_at is None


def test_a_document_closed_before_its_body_keeps_the_body() -> None:
    # A template that writes "</head></html>" and then the <body>: browsers show the body,
    # libxml2 would have read nothing after "</html>".
    page = _page("<title>Budget agreed</title>").replace("</head>", "</head></html>", 1)
    got = extract(page, "html")
    assert got.title == "Budget agreed"
    assert got.body.startswith("The council met on Tuesday")


def test_a_moment_stated_in_utc_takes_the_zone_the_page_writes_it_in() -> None:
    # The story went up at 23:30 in Minnesota: its readers' day is the 8th, not UTC's 9th.
    linked = '{"@type": "NewsArticle", "datePublished": "2023-11-09T05:30:59Z"}'
    page = _page(
        f'<title>Budget agreed</title><script type="application/ld+json">{linked}</script>',
        '<time datetime="2023-11-09T06:21:49-06:00">Updated</time>'  # another moment
        '<time datetime="2023-11-08T23:30:59-06:00">November 8, 2023</time>',
    )
    got = extract(page, "html").published_at
    assert got == datetime(2023, 11, 9, 5, 30, 59, tzinfo=UTC)  # the same moment
    assert got is not None
    assert (got.date(), got.utcoffset()) == (datetime(2023, 11, 8).date(), timedelta(hours=-6))


def test_a_moment_in_utc_stays_so_when_the_page_writes_no_other_zone_for_it() -> None:
    linked = '{"@type": "NewsArticle", "datePublished": "2023-11-09T05:30:59Z"}'
    page = _page(
        f'<title>Budget agreed</title><script type="application/ld+json">{linked}</script>',
        '<time datetime="2023-11-08T23:00:00-06:00">Earlier</time>',
    )
    got = extract(page, "html").published_at
    assert got is not None
    assert (got, got.utcoffset()) == (datetime(2023, 11, 9, 5, 30, 59, tzinfo=UTC), timedelta(0))


def _site_only_page(below_headline: str) -> str:
    """An article whose data names only the site as its author."""
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    return (
        '<html><head><meta property="og:site_name" content="Valley Gazette">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "author": '
        '{"@type": "Organization", "name": "Valley Gazette"}}</script></head>'
        f"<body><header><a href='/more'>More from Valley Gazette</a></header><article>"
        f"<h1>Budget agreed</h1>{below_headline}<p>{story}</p><p>{story}</p>"
        "</article></body></html>"
    )


@pytest.mark.parametrize(
    "byline",
    [
        '<address>By <a href="/people/jd">Jane Doe</a></address>',  # HTML's author contact
        '<div class="dates_auteurs">par <span class="auteurs">Jane Doe</span>, 21 juin 2018</div>',
        '<p class="artikel-autor">Von Jane Doe</p>',
        # The date before the names, as blog themes write it.
        '<div class="page-meta--author">Posted on September 21, 2020 by Jane Doe</div>',
        '<div class="post-author">Ver\u00f6ffentlicht am 3. M\u00e4rz 2021 von Jane Doe</div>',
    ],
)
def test_a_byline_element_in_any_language_names_the_author(byline: str) -> None:
    # The byline elements on their own: the text below the headline would name some of them.
    elements_only = replace(webpage.DEFAULT_OPTIONS, bylines_anywhere=False)
    got = webpage.extract_html(_site_only_page(byline), options=elements_only)
    assert got.authors == ["Jane Doe"]


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("<p><em>Von Leonora Holling</em></p>", ["Leonora Holling"]),
        (
            '<div class="meta"><a href="/people/jd">Par Jane Doe</a> | 12 mai 2022</div>',
            ["Jane Doe"],
        ),
        ("<span class='hero__meta-label'>by <b>Jane Doe</b></span>", ["Jane Doe"]),
    ],
)
def test_a_byline_of_any_class_below_the_headline_names_the_author(
    byline: str, expected: list[str]
) -> None:
    assert extract(_site_only_page(byline), "html").authors == expected


@pytest.mark.parametrize(
    "not_a_byline",
    [
        "<p><em>Von Sitte und Moral</em></p>",  # words, not a person's names
        "<p><a href='/author/jd'>More from Jane Doe</a></p>",  # a link to her other articles
        "<aside class='related'><p>Von Jane Doe</p></aside>",  # a teaser's
    ],
)
def test_a_byline_shaped_text_that_names_no_person_of_the_article_is_no_author(
    not_a_byline: str,
) -> None:
    assert extract(_site_only_page(not_a_byline), "html").authors in ([], ["Valley Gazette"])


def test_the_posts_hcard_names_its_author_as_written_not_a_commenters() -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        "<html><body><article><h1>Budget agreed</h1>"
        '<div class="entry-meta"><span class="byline"><span class="author vcard">'
        '<a class="url fn n" href="/author/murdelta/">marc</a></span></span></div>'
        f"<p>{story}</p><p>{story}</p></article>"
        '<ol class="comments"><li class="comment"><div class="comment-author vcard">'
        '<cite class="fn">Jane Reader</cite> says:</div><p>Nice.</p></li></ol>'
        "</body></html>"
    )
    assert extract(page, "html").authors == ["marc"]


def test_a_commenters_hcard_alone_names_no_author() -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        f"<html><body><article><h1>Budget agreed</h1><p>{story}</p><p>{story}</p></article>"
        '<ol class="comments"><li class="comment"><div class="comment-author vcard">'
        '<cite class="fn">Jane Reader</cite> says:</div><p>Nice.</p></li></ol>'
        "</body></html>"
    )
    assert extract(page, "html").authors == []


def test_a_page_without_a_date_in_its_data_is_dated_by_the_date_below_its_headline() -> None:
    story = "The council met on Tuesday and agreed the budget after a long debate. " * 3
    page = (
        "<html><head><title>Budget agreed</title></head><body>"
        '<div class="news-list"><p>Roads reopen <span class="date">12.02.2020</span></p></div>'
        "<article><h1>Budget agreed</h1><p>05.02.2020 - Redaktion: Jane Doe</p>"
        f"<p>{story}</p><p>{story}</p></article></body></html>"
    )
    got = extract(page, "html").published_at
    assert got is not None
    assert got.date() == datetime(2020, 2, 5).date()


_LEAD = (
    "The harbour authority published its yearly figures on Monday, and the port handled more"
    " containers than in any year since it opened, despite two storms in the winter months."
)


def _article_page(article: str) -> str:
    return (
        "<html><head><title>Port figures</title></head><body><nav><a href='/'>Home</a>"
        f"<a href='/news'>News</a></nav><article><h1>Port figures</h1><p>{_LEAD}</p>{article}"
        "</article><footer>All rights reserved</footer></body></html>"
    )


def test_a_list_whose_items_are_paragraphs_keeps_their_text() -> None:
    items = [
        "Container traffic grew by a tenth, most of it from the new eastern terminal's cranes.",
        "Passenger ferries carried fewer people, as the northern route was closed for repairs.",
    ]
    nested = "Two of the cranes were delivered late, after the supplier's own yard had flooded."
    page = _article_page(
        f"<ol><li><p>{items[0]}</p></li><li><p>{items[1]}</p>"
        f"<ul><li><p>{nested}</p></li><li><p>{nested.replace('Two', 'Three')}</p></li></ul>"
        "</li></ol>"
    )
    body = extract(page, "html").body
    for text in [*items, nested]:
        assert body.count(text) == 1  # a nested list's item once, not again in its parent's


def test_a_data_table_in_the_article_is_read_row_by_row_with_its_cells_apart() -> None:
    rows = [("Terminal", "Containers"), ("East", "412,000"), ("West", "288,500")]
    table = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
    got = extract(_article_page(f"<table>{table}</table><p>{_LEAD}</p>"), "html")
    assert "Terminal | Containers\nEast | 412,000\nWest | 288,500" in got.body
    without = replace(webpage.DEFAULT_OPTIONS, tables=False)
    page = _article_page(f"<table>{table}</table><p>{_LEAD}</p>")
    assert "412,000" not in webpage.extract_html(page, options=without).body


def test_an_article_laid_out_in_a_table_is_read_paragraph_by_paragraph() -> None:
    paragraphs = [
        _LEAD,
        "Most of the growth came from the eastern terminal, whose three new cranes started work"
        " in the spring and now load a ship in half the time the old ones needed.",
        "The authority expects another record next year, when the deepened channel lets the"
        " largest container ships call at the port without waiting for the tide.",
    ]
    page = (  # as sites were built before CSS: the page a table, paragraphs apart by <br>s
        "<html><head><title>Port figures</title></head><body><table><tr><td>"
        f"<b>Port figures</b><br><br>{'<br><br>'.join(paragraphs)}</td></tr></table></body></html>"
    )
    assert extract(page, "html").body.split("\n\n")[-3:] == paragraphs


def test_a_quotation_in_lines_keeps_every_line() -> None:
    lines = ["We will not close the northern route again,", "whatever the weather brings."]
    page = _article_page(f"<blockquote>{'<br>'.join(lines)}</blockquote><p>{_LEAD}</p>")
    assert "\n".join(lines) in extract(page, "html").body


def test_text_after_a_heading_outside_any_paragraph_is_the_sections_text() -> None:
    section = (
        "Harris is known for his lively performances and a long career on television, from"
        " his first role as a teenage doctor to a sitcom that ran for nine seasons."
    )
    page = _article_page(f"<h2>1. Neil Patrick Harris</h2>{section}<p>{_LEAD}</p>")
    got = extract(page, "html")
    assert got.headings == ["1. Neil Patrick Harris"]
    assert section in got.body.split("\n\n")
