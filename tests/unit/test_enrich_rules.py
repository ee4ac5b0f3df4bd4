"""The enrich rules one by one: segments, canonical names, quote marks, keywords, summary."""

from __future__ import annotations

from typing import Any

import spacy

from services.enrich.enrichment import enrich_texts
from services.enrich.entities import Mention, canonicalise, dateline_mentions
from services.enrich.keywords import extract_keywords
from services.enrich.models import models_for
from services.enrich.quotes import find_quotes
from services.enrich.segments import (
    ArticleText,
    SegmentKind,
    segment_article,
    split_long,
)
from services.enrich.summary import Sentence, summarize
from shared.textlayout import looks_like_heading


def _mentions(*items: tuple[str, str]) -> list[Mention]:
    return [
        Mention(name, kind, 0, i * 10, i * 10 + len(name)) for i, (name, kind) in enumerate(items)
    ]


def _entities(*items: tuple[str, str]) -> dict[str, tuple[str, int]]:
    result = canonicalise(_mentions(*items)).to_json()
    return {e["name"]: (e["type"], e["mentions"]) for e in result}


def test_surnames_and_stray_labels_fold_into_the_full_name() -> None:
    entities = _entities(
        ("Trump", "organization"),
        ("Donald Trump", "person"),
        ("Trump", "organization"),
        ("Trump", "person"),
    )
    assert entities == {"Donald Trump": ("person", 4)}


def test_a_surname_alone_voted_organisation_is_still_a_person() -> None:
    # The small model's commonest slip: person votes count double ("Trump said" once).
    mentions = _mentions(("Trump", "organization"), ("Trump", "organization"), ("Trump", "person"))
    mentions[2].cue = "person"
    result = canonicalise(mentions).to_json()
    assert [(e["name"], e["type"], e["mentions"]) for e in result] == [("Trump", "person", 3)]


def test_a_lone_word_without_a_person_or_place_cue_is_no_person_or_place() -> None:
    # "Yukos" (PERSON), "Xenon" (PERSON), "Windows" (GPE): one word, never said anything,
    # no title, no first name, no gazetteer entry, never "in X".
    entities = _entities(
        ("Yukos", "person"),
        ("Yukos", "organization"),
        ("Xenon", "person"),
        ("Windows", "place"),
        ("Birkenhead", "person"),
    )
    assert entities["Yukos"] == ("organization", 2)
    assert entities["Xenon"] == ("other", 1)
    assert entities["Windows"] == ("other", 1)
    assert entities["Birkenhead"] == ("place", 1)


def test_a_country_next_to_team_words_is_a_side() -> None:
    kinds = _kinds(
        "England coach Andy Robinson named his side on Monday. Bell could make his England "
        "debut against France in Paris, where England A beat France A last week."
    )
    assert kinds["England"] == "organization"
    assert kinds["Paris"] == "place"


def test_places_do_not_fold_by_suffix() -> None:
    entities = _entities(("North Korea", "place"), ("South Korea", "place"), ("Korea", "place"))
    assert set(entities) == {"North Korea", "South Korea", "Korea"}


def test_a_surname_of_two_people_goes_to_the_most_mentioned() -> None:
    entities = _entities(
        ("Donald Trump", "person"),
        ("Donald Trump", "person"),
        ("Melania Trump", "person"),
        ("Trump", "person"),
    )
    assert entities["Donald Trump"] == ("person", 3)
    assert entities["Melania Trump"] == ("person", 1)


def test_abbreviations_acronyms_and_first_words() -> None:
    entities = _entities(
        ("U.S.", "place"),
        ("United States", "place"),
        ("North Atlantic Treaty Organization", "organization"),
        ("NATO", "organization"),
        ("Altria Group", "organization"),
        ("Altria", "person"),
        ("U.S.-Russia", "person"),
        ("Russia", "place"),
    )
    assert entities["United States"] == ("place", 3)
    assert entities["North Atlantic Treaty Organization"] == ("organization", 2)
    # A first word folds in but does not vote: "Altria" (PERSON) is the company.
    assert entities["Altria Group"] == ("organization", 2)
    assert entities["Russia"] == ("place", 2)
    assert "U.S.-Russia" not in entities


def test_datelines_are_places() -> None:
    assert [m.name for m in dateline_mentions("Anchorage, Alaska", 0, None)] == [
        "Anchorage",
        "Alaska",
    ]
    assert [m.name for m in dateline_mentions("WASHINGTON (Reuters)", 0, 0)] == ["Washington"]
    assert [m.name for m in dateline_mentions("Aug. 15, 2025", 0, None)] == []


def test_segments_keep_body_offsets_and_put_headings_aside() -> None:
    body = "Anchorage, Alaska — First line of prose.\n\nA Meeting of Neighbors\n\nMore prose here."
    segments = segment_article(ArticleText("Title Here", body, headings=["Looking Ahead"]))
    kinds = [(s.kind, s.text) for s in segments]
    assert kinds == [
        (SegmentKind.TITLE, "Title Here"),
        (SegmentKind.DATELINE, "Anchorage, Alaska"),
        (SegmentKind.PARAGRAPH, "First line of prose."),
        (SegmentKind.HEADING, "A Meeting of Neighbors"),
        (SegmentKind.PARAGRAPH, "More prose here."),
        (SegmentKind.HEADING, "Looking Ahead"),
    ]
    for segment in segments:
        if segment.start is not None:
            assert body[segment.start : segment.start + len(segment.text)] == segment.text
    assert [s.paragraph for s in segments if s.kind is SegmentKind.PARAGRAPH] == [0, 2]


def test_no_segment_spans_a_line_break() -> None:
    segments = segment_article(ArticleText(None, "Donald\nTrump spoke.\n\nThen left."))
    assert all("\n" not in s.text for s in segments)
    assert [s.paragraph for s in segments] == [0, 0, 1]


def test_heading_lookalikes() -> None:
    assert looks_like_heading("Ukraine at the Center")
    assert looks_like_heading("Trade, Business, and Cooperation")
    assert not looks_like_heading("Share.")
    assert not looks_like_heading("He said it was over.")
    assert not looks_like_heading("Exit mobile version")


def test_long_lines_are_cut_at_sentence_ends() -> None:
    text = "One sentence here. " * 2000
    chunks = split_long(text, limit=1000)
    assert all(len(chunk) <= 1000 for _, chunk in chunks)
    assert all(chunk.startswith("One sentence") for _, chunk in chunks)
    assert "".join(chunk for _, chunk in chunks) == text
    assert all(text[o : o + len(c)] == c for o, c in chunks)


def test_quote_marks_of_several_languages() -> None:
    def texts(line: str) -> list[str]:
        return [q.text for q in find_quotes(line, 0, 0, 0, True)]

    assert texts("“Alaska symbolizes,” Putin said. “This history.”") == [
        "Alaska symbolizes",
        "This history",
    ]
    assert texts("Er sagte: „Wir schaffen das“, und ging.") == ["Wir schaffen das"]
    assert texts("« Nous sommes prêts », a dit Macron.") == ["Nous sommes prêts"]
    # A quote continued in a new paragraph opens again without closing (straight marks).
    assert texts('He said: "First part. "Second part," he added.') == [
        "First part",
        "Second part",
    ]
    # Inch marks and apostrophes are no quotes.
    assert texts('He is 6\'2" tall and it\'s "very" fast') == ["very"]


def test_quote_offsets_are_body_offsets() -> None:
    line = "Intro. “Quoted words here,” she said."
    (quote,) = find_quotes(line, 100, 3, 1, False)
    assert quote.start == 100 + line.index("Quoted")
    assert quote.text == "Quoted words here"
    assert not quote.opens_paragraph


def _keywords(text: str, entities: list[tuple[str, int]], title: str | None = None) -> list[str]:
    reader = models_for("en").reader
    return extract_keywords([reader(p) for p in text.split("\n\n")], entities, title, "en")


def test_keywords_prefer_entity_names_over_fragments() -> None:
    text = (
        "President Donald Trump met Vladimir Putin in Alaska. Trump said the summit went well. "
        "President Putin praised the talks. The summit ended with no deal on Ukraine."
    )
    keywords = _keywords(text, [("Donald Trump", 2), ("Vladimir Putin", 2), ("Alaska", 1)])
    assert "Donald Trump" in keywords
    assert "Vladimir Putin" in keywords
    for fragment in ("President Donald", "President Putin", "Trump", "Putin", "President"):
        assert fragment not in keywords


def test_keywords_are_noun_phrases_not_verbs_or_fragments() -> None:
    text = (
        "Maternity pay will rise next year, the government said on Tuesday.\n\n"
        "Parents held extensive talks about maternity pay and childcare costs. Maternity pay "
        "rose last year too, and childcare costs made headlines."
    )
    keywords = _keywords(text, [], "Maternity pay to rise")
    assert keywords[0] == "maternity pay"
    assert "childcare costs" in keywords
    for fragment in ("rise", "rose", "held extensive", "made", "pay", "year"):
        assert fragment not in keywords


def test_chinese_keywords_are_words_not_the_paragraph() -> None:
    text = "中国经济增长放缓。中国政府表示，经济政策将保持稳定。经济学家认为政府会出台新措施。"  # noqa: RUF001
    keywords = extract_keywords([spacy.blank("xx")(text)], [], None, "zh")
    assert keywords
    assert all(len(k) == 2 for k in keywords)
    assert "经济" in keywords


def test_the_summary_opens_with_the_lead_and_keeps_article_order() -> None:
    texts = [
        "The city council approved a new budget for schools on Monday evening.",
        "Short one.",
        "The weather was mild and people walked their dogs in the park nearby.",
        "The budget adds money for schools, teachers and new school buses next year.",
    ]
    sentences, start = [], 0
    for text in texts:
        sentences.append(Sentence(text, start, start + len(text)))
        start += len(text) + 1
    summary = summarize(sentences, ["budget", "schools"], [])
    assert summary == f"{texts[0]} {texts[3]}"


def test_a_dateline_left_in_the_body_is_read_apart_but_prose_is_not() -> None:
    def dateline(body: str) -> list[str]:
        segments = segment_article(ArticleText(None, body))
        return [s.text for s in segments if s.kind is SegmentKind.DATELINE]

    assert dateline("WASHINGTON (Reuters) - The Senate voted.") == ["WASHINGTON (Reuters)"]
    assert dateline("Anchorage, Alaska — In their first summit.") == ["Anchorage, Alaska"]
    assert dateline("Ryanair - the low-cost airline - cut fares.") == []
    # Only the first line of the body can open with a dateline.
    assert dateline("First line.\n\nParis — Second line.") == []


def _enriched(body: str) -> dict[str, Any]:
    return enrich_texts([ArticleText("A story", body)])[0]


def _kinds(body: str) -> dict[str, str]:
    """The type of each entity found in `body`, by name."""
    return {e["name"]: e["type"] for e in _enriched(body)["entities"]}


def test_parties_titles_and_places_get_their_type_and_canonical_name() -> None:
    kinds = _kinds(
        "The Tories and the Lib Dems attacked Labour on Monday. Organiser Maria Kask said the "
        "rally in Jonesboro would go ahead. Mr Blair was in the UK on Friday."
    )
    assert kinds["Conservative Party"] == "organization"
    assert kinds["Liberal Democrats"] == "organization"
    assert kinds["Labour Party"] == "organization"
    assert kinds["Maria Kask"] == "person"
    assert kinds["Jonesboro"] == "place"
    assert kinds["Blair"] == "person"
    assert kinds["United Kingdom"] == "place"
    assert "Organiser Maria Kask" not in kinds


def test_a_spokesman_speaks_for_his_organisation_and_a_quote_left_open_goes_on() -> None:
    result = _enriched(
        'Chelsea manager Jose Mourinho was angry. But an FA spokesman told reporters: "We are '
        'not taking action over the comments."\n\n'
        '"I see one referee in the first half and another in the second," said Mourinho. "If '
        "they ask me what happened, I will tell them.\n\n"
        '"The referee controlled the game in one way. "But I know the referee did not walk '
        'alone." Referees chief Keith Hackett believes Mourinho should retract his comments.'
    )
    speakers = {q["text"][:20]: q["speaker"] for q in result["quotes"]}
    assert speakers["We are not taking ac"] == "FA"
    assert speakers["I see one referee in"] == "Jose Mourinho"
    assert speakers["The referee controll"] == "Jose Mourinho"
    assert speakers["But I know the refer"] == "Jose Mourinho"


def _speakers(body: str) -> dict[str, str | None]:
    return {q["text"][:20]: q["speaker"] for q in _enriched(body)["quotes"]}


def test_he_said_is_the_person_named_since_the_last_quotation() -> None:
    speakers = _speakers(
        'Referees chief Keith Hackett was unhappy. "Managers should respect referees," said '
        'Hackett. "That is all I ask." Coach Jose Mourinho added that the match was '
        'entertaining and insisted his team could still win. "It is still level at the '
        'break," he said. "We have exactly the same chance as before."'
    )
    assert speakers["Managers should resp"] == "Keith Hackett"
    assert speakers["That is all I ask"] == "Keith Hackett"
    assert speakers["It is still level at"] == "Jose Mourinho"
    assert speakers["We have exactly the "] == "Jose Mourinho"


def test_she_said_never_goes_to_a_man() -> None:
    speakers = _speakers(
        "Ms Anna Kite worked for the singer for a year. She later met the lawyer, Mr David "
        'Grant, at the ranch. "I was never told what had happened there," she said.'
    )
    assert speakers["I was never told wha"] == "Anna Kite"


def test_the_ministry_said_is_the_ministry_named_before() -> None:
    speakers = _speakers(
        "Officials at the Trade Ministry set a growth target of 5% for next year. "
        '"Conditions are likely to remain unfavourable next year," the ministry said in a '
        "statement. Oil prices rose."
    )
    assert speakers["Conditions are likel"] == "Trade Ministry"


def test_a_spokeswoman_she_and_the_spokeswoman_speak_for_the_body() -> None:
    speakers = _speakers(
        "Liberal Democrat chairman Matthew Taylor wrote to the regulator. A spokeswoman for "
        "the Information Commissioner's Office said it was examining one complaint. "
        '"We are investigating one of the complaints," she said. Mr Taylor was pleased. '
        '"The guidance is that calls can be made as long as no marketing is going on," said '
        "the spokeswoman."
    )
    assert speakers["We are investigating"] == "Information Commissioner's Office"
    assert speakers["The guidance is that"] == "Information Commissioner's Office"


def test_a_name_after_said_of_is_whom_the_words_were_about() -> None:
    speakers = _speakers(
        "In a speech to the Foreign Policy Centre Mr Jack Straw said of the Tory leader: "
        '"He is clever, fluent and tactical, but he is not wise."'
    )
    assert speakers["He is clever, fluent"] == "Jack Straw"


def test_who_stands_for_the_person_it_follows() -> None:
    speakers = _speakers(
        "Kelly Holmes won two gold medals in Athens. The physical demands will only get harder "
        'for Holmes, who has already admitted she "does not like the training any more".'
    )
    assert speakers["does not like the tr"] == "Kelly Holmes"


def test_governing_bodies_descriptors_and_former_states() -> None:
    kinds = _kinds(
        "Officials at Swimming Canada picked the squad. The deal was handled by consultancy "
        "Brightwave, which said the Soviet Union had signed a similar one. Prices rose after "
        "the Iraq war, said Jane Doe."
    )
    assert kinds["Swimming Canada"] == "organization"
    assert kinds["Brightwave"] == "organization"
    assert kinds["Soviet Union"] == "place"
    assert kinds.get("Iraq", "place") == "place"
    assert "Canada" not in kinds  # the country does not fold into the body, nor stand alone


def test_names_the_model_cut_glued_or_missed() -> None:
    result = _enriched(
        '"Demand will stay weak," the Trade and Industry Ministry said. Analysts at '
        "consultancy 7Sigma agreed. Shares in Rosco and Rosconeft fell, and Rosco said it "
        "would appeal. The rapper's new album Get Rich And Die Trying sold well."
    )
    kinds = {e["name"]: e["type"] for e in result["entities"]}
    assert kinds["Trade and Industry Ministry"] == "organization"
    assert kinds["7Sigma"] == "organization"
    assert "Rosco and Rosconeft" not in kinds
    assert "Rosconeft" in kinds
    assert kinds.get("Get Rich And Die Trying", "other") == "other"
    speakers = {q["text"][:20]: q["speaker"] for q in result["quotes"]}
    assert speakers["Demand will stay wea"] == "Trade and Industry Ministry"


def test_the_stars_spokesman_speaks_for_the_star() -> None:
    speakers = _speakers(
        'Rapper Snoop Dogg was sued on Friday. ABC said the claims had "no merit at all". '
        "The rapper's spokesman said: \"He will have the opportunity to prove in court that "
        'the claims are false."'
    )
    assert speakers["He will have the opp"] == "Snoop Dogg"


def test_titles_of_works_stay_works_and_described_people_are_people() -> None:
    kinds = _kinds(
        "Audrey Tautou, star of hit film Amelie, met R&B star Usherwood in Paris. Tautou "
        "was seen in Amelie in 2001. Industry figures show regulator Ofcom was pleased."
    )
    assert kinds.get("Amelie", "other") == "other"
    assert kinds["Usherwood"] == "person"
    assert kinds["Ofcom"] == "organization"


def test_parties_papers_and_places_the_model_left_out() -> None:
    kinds = _kinds(
        'Tory policy co-ordinator Jane Doe said so. "Labour are creating two countries," she '
        "added. The book by Sunday Gazette journalist John Roe was read at the Nationals in "
        "Dunmore."
    )
    assert kinds["Conservative Party"] == "organization"
    assert kinds["Labour Party"] == "organization"
    assert kinds["Sunday Gazette"] == "organization"
    assert kinds["Dunmore"] == "place"


def test_a_list_takes_the_type_its_noun_gives() -> None:
    kinds = _kinds(
        "Firms such as Zintex, Corvalis and Quenda Labs sell search tools. The two main "
        "channels, TV9 and Metro1, lost viewers. Bristol Bears prop John Roe was picked."
    )
    assert kinds["Zintex"] == "organization"
    assert kinds["Corvalis"] == "organization"
    assert kinds["Bristol Bears"] == "organization"
    assert kinds["John Roe"] == "person"


def test_listed_places_and_programmes() -> None:
    kinds = _kinds(
        "The site is close to busy stations such as Marylebone and Fenwick Cross. Jane Doe "
        "told the BBC's Sunday Programme. The UN Development Programme agreed."
    )
    assert kinds["Fenwick Cross"] == "place"
    assert kinds.get("Sunday Programme", "other") == "other"
    assert kinds["UN Development Programme"] == "organization"


def test_company_words_make_a_lone_name_a_company_even_when_it_speaks() -> None:
    kinds = _kinds(
        "Oil giant Petrovar sued its rival. Petrovar claims that the sale was illegal, and "
        "Petrovar shares rose. The court heard from Kestrel, the Petrovar unit."
    )
    assert kinds["Petrovar"] == "organization"


def test_work_words_that_are_also_verbs_or_follow_a_country() -> None:
    kinds = _kinds(
        "The ball hit John Roe on the head, Jane Doe said. Her album topped the US albums "
        "chart, and the comedy drama Silver Lanes won an award."
    )
    assert kinds["John Roe"] == "person"
    assert kinds["United States"] == "place"
    assert kinds.get("Silver Lanes", "other") == "other"


def test_chinese_and_japanese_articles_get_words_as_keywords_end_to_end() -> None:
    chinese = (
        "中国经济增长放缓。中国政府表示，经济政策将保持稳定。"  # noqa: RUF001
        "经济学家认为政府会出台新措施，以支持经济增长。"  # noqa: RUF001
    )
    japanese = (
        "日本の経済は緩やかに回復している。政府は経済対策を発表した。"
        "専門家は経済の先行きに慎重な見方を示している。"
    )
    results = enrich_texts([ArticleText(None, chinese), ArticleText(None, japanese)])
    assert [r["language"] for r in results] == ["zh", "ja"]
    for result, text in zip(results, (chinese, japanese), strict=True):
        assert result["keywords"]
        assert all(2 <= len(k) <= 4 and k in text for k in result["keywords"])
        assert result["models"]["entities"].startswith("none: no spaCy model")


def test_an_apposition_says_what_a_name_is_by_its_head_noun() -> None:
    kinds = _kinds(
        "The deal was blocked by Norvex, the world's biggest gas company, on Monday. "
        "Talks were led by Halvard, the company's chief executive, and Norvex agreed."
    )
    assert kinds["Norvex"] == "organization"
    assert kinds.get("Halvard", "person") == "person"


def test_it_said_right_after_a_quotation_is_the_organisation_named_before() -> None:
    speakers = _speakers(
        "Shares in Zentrix Group rose on Monday after its chief executive, Jane Doe, left. "
        '"Sales will rise strongly next year," it said in a statement.'
    )
    assert speakers["Sales will rise stro"] == "Zentrix Group"
