"""Plain-text extraction: title, dateline, headings, furniture, paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.ingest.extraction import extract
from services.ingest.plaintext import split_glued_title
from shared.textlayout import split_dateline
from tests.support import SEED

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
SEED_TITLE = "Trump and Putin Meet in Alaska: Talks Signal a Possible Turning Point on Ukraine"
SEED_HEADINGS = [
    "A Meeting of Neighbors",
    "Ukraine at the Center",
    "Trade, Business, and Cooperation",
    "Looking Ahead",
]


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_title_is_split_from_the_glued_dateline(seed: str) -> None:
    article = extract(seed, "text")
    assert article.title == SEED_TITLE
    assert article.dateline == "Anchorage, Alaska"


def test_seed_body_starts_after_the_dateline_dash(seed: str) -> None:
    body = extract(seed, "text").body
    assert body.startswith("In their first official summit in years, U.S. President Donald Trump")
    assert "Anchorage, Alask" not in body.split("\n\n")[0][:40]


def test_seed_section_headings_are_headings_not_body(seed: str) -> None:
    article = extract(seed, "text")
    assert article.headings == SEED_HEADINGS
    for heading in SEED_HEADINGS:
        assert heading not in article.paragraphs


def test_seed_site_furniture_is_removed(seed: str) -> None:
    body = extract(seed, "text").body
    assert body.endswith(
        "presented the encounter as a hopeful pivot from confrontation to dialogue."
    )
    for furniture in ("Share.", "Leave A Reply", "Exit mobile version"):
        assert furniture not in body


def test_seed_paragraphs_are_kept_with_one_blank_line_between(seed: str) -> None:
    article = extract(seed, "text")
    # The source's 12 paragraphs of prose and quotes, none merged or lost.
    assert len(article.paragraphs) == 12
    source_prose = [b for b in seed.split("\n\n")[2:] if len(b.split()) > 8]
    assert article.paragraphs[1:] == source_prose
    assert "\n\n\n" not in article.body
    assert all(p == p.strip() and p for p in article.body.split("\n\n"))
    assert article.paragraphs[2].startswith("\u201cAlaska symbolizes our common heritage,\u201d")


def test_another_sites_furniture_and_navigation_are_removed() -> None:
    text = (FIXTURES / "other-site-boilerplate.txt").read_text(encoding="utf-8")
    article = extract(text, "text")
    assert article.title == "Council Approves New Cycling Lanes on the Seafront"
    assert article.headings == ["Construction Timetable"]
    assert article.body.endswith("the council's transport committee said.")
    for furniture in ("Tags:", "Share on", "Comments", "Related Articles", "Home \u00bb"):
        assert furniture not in article.body
    assert len(article.paragraphs) == 3


def test_trailing_calls_to_action_are_removed_even_as_sentences() -> None:
    text = (
        "Title Of The Story\n\n"
        "The harbour reopened to ferries on Monday after a week of storms, the port said.\n\n"
        "Sign up for our newsletter to get the best stories in your inbox every morning.\n"
        "Follow us on Twitter for live updates."
    )
    assert extract(text, "text").paragraphs == [
        "The harbour reopened to ferries on Monday after a week of storms, the port said."
    ]


def test_short_trailing_data_lines_are_not_mistaken_for_furniture() -> None:
    # Match reports end with short lines (attendance, referee) that are the article's data.
    text = (
        "Rovers Beat United in Cup Replay\n\n"
        "Rovers reached the fifth round with a late winner from their captain in the replay.\n\n"
        "Subs not used: Harper, Jones.\n\n"
        "Att: 8,661\n\n"
        "Ref: K Clark"
    )
    assert extract(text, "text").paragraphs[-3:] == [
        "Subs not used: Harper, Jones.",
        "Att: 8,661",
        "Ref: K Clark",
    ]


def test_news_about_copyright_or_sign_ups_is_not_furniture() -> None:
    text = (
        "Broadband Offer\n\n"
        "BT is offering customers free calls if they sign up to broadband in December.\n\n"
        "Pupils will be taught about copyright and downloading music from the internet."
    )
    assert len(extract(text, "text").paragraphs) == 2


def test_short_sentence_case_lines_between_paragraphs_stay_in_the_body() -> None:
    # A bare line between paragraphs is a heading only in Title Case; these are content.
    text = (
        "Fixtures Announced\n\n"
        "The draw for the next round was made on Sunday afternoon at the national stadium.\n\n"
        "Preston v West Brom\n\n"
        "A sad day for music\n\n"
        "The winners will meet in the quarter-finals at the end of the month, officials said."
    )
    article = extract(text, "text")
    assert article.headings == []
    assert "Preston v West Brom" in article.paragraphs
    assert "A sad day for music" in article.paragraphs


def test_lines_of_a_list_block_stay_together_as_one_paragraph() -> None:
    text = (
        "Budget Highlights\n\n"
        "The minister announced several measures in parliament on Monday afternoon.\n\n"
        "- Increased spending on primary education\n"
        "- Duty cuts on capital goods\n"
        "- A higher income-tax threshold"
    )
    assert extract(text, "text").paragraphs[1] == (
        "- Increased spending on primary education\n"
        "- Duty cuts on capital goods\n"
        "- A higher income-tax threshold"
    )


def test_hard_wrapped_lines_are_joined_into_paragraphs() -> None:
    text = (
        "Wrapped Story\n\n"
        "This paragraph was wrapped at a fixed width by the program that saved\n"
        "it, so its lines must be joined again into one paragraph of text.\n\n"
        "A second paragraph follows."
    )
    assert extract(text, "text").paragraphs == [
        "This paragraph was wrapped at a fixed width by the program that saved it, so its "
        "lines must be joined again into one paragraph of text.",
        "A second paragraph follows.",
    ]


@pytest.mark.parametrize(
    ("paragraph", "dateline", "rest"),
    [
        ("WASHINGTON (Reuters) - The Senate voted on Friday.", "WASHINGTON (Reuters)", "The"),
        ("LONDON \u2014 Prices rose again in May.", "LONDON", "Prices"),
        ("Anchorage, Alaska \u2014 In their first summit.", "Anchorage, Alaska", "In"),
        ("Roger Federer - the world number one - won again.", None, "Roger"),
        ("David Blunkett - the home secretary - said so.", None, "David"),
        ("The US - and Europe - disagreed on Monday.", None, "The"),
    ],
)
def test_datelines_are_recognised_only_in_dateline_shape(
    paragraph: str, dateline: str | None, rest: str
) -> None:
    found, remainder = split_dateline(paragraph)
    assert found == dateline
    assert remainder.startswith(rest)


@pytest.mark.parametrize(
    ("first_line", "next_text", "title", "glued"),
    [
        (
            "Talks Signal a Turning Point on UkraineAnchorage, Alask",
            "Anchorage, Alaska \u2014 ",
            "Talks Signal a Turning Point on Ukraine",
            "Anchorage, Alask",
        ),
        # Capitals inside names are not glue points unless the next paragraph starts there.
        (
            "McDonald's Opens in the iPhone Era",
            "McDonald's opened its first...",
            "McDonald's Opens in the iPhone Era",
            None,
        ),
        ("Sales Rise at YouTube", "Sales rose at YouTube...", "Sales Rise at YouTube", None),
    ],
)
def test_a_glued_title_is_split_only_where_the_next_paragraph_begins(
    first_line: str, next_text: str, title: str, glued: str | None
) -> None:
    assert split_glued_title(first_line, next_text) == (title, glued)


def test_single_newlines_between_title_and_paragraphs_are_enough() -> None:
    text = (
        "Harbour bridge reopens after two years of repairs and a long detour for commuters\n"
        "Traffic returned to the bridge on Tuesday morning after the long repair programme.\n"
        "Bus operators said they would restore their usual timetables from Wednesday."
    )
    article = extract(text, "text")
    assert article.title == (
        "Harbour bridge reopens after two years of repairs and a long detour for commuters"
    )
    assert article.body.startswith("Traffic returned to the bridge on Tuesday morning")


def test_text_starting_with_a_paragraph_has_no_title_and_keeps_the_paragraph() -> None:
    first = (
        "The council voted on Tuesday to build protected cycling lanes along the seafront, "
        "ending a debate that has divided residents, shop owners and commuters for years."
    )
    article = extract(f"{first}\n\nWork starts in September.", "text")
    assert article.title is None
    assert article.paragraphs == [first, "Work starts in September."]


def test_text_with_only_furniture_has_no_body() -> None:
    assert extract("Share\nLeave a reply\n", "text").body == ""
    assert extract("", "text").title is None
