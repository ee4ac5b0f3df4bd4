"""shared/names.py: the one spelling of entity names shared by enrichment and search filters."""

from __future__ import annotations

import pytest

from shared.names import canonical_name, party, surname


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("UK", "United Kingdom"),
        ("U.K.", "United Kingdom"),
        ("Britain", "United Kingdom"),
        ("Great Britain", "United Kingdom"),
        ("the UK", "United Kingdom"),
        ("Britain's", "United Kingdom"),
        ("United Kingdom of Great Britain and Northern Ireland", "United Kingdom"),
        ("US", "United States"),
        ("U.S.", "United States"),
        ("USA", "United States"),
        ("U.S.A.", "United States"),
        ("America", "United States"),
        ("the United States", "United States"),
        ("uk", "United Kingdom"),
        ("Russian Federation", "Russia"),
        ("Korea, Republic of", "South Korea"),
        ("Viet Nam", "Vietnam"),
        ("Côte d'Ivoire", "Ivory Coast"),
        ("Cote d'Ivoire", "Ivory Coast"),
        ("France", "France"),
    ],
)
def test_countries_under_any_of_their_names_are_one_place(written: str, canonical: str) -> None:
    assert canonical_name("place", written) == canonical


@pytest.mark.parametrize(
    "place", ["London", "South America", "Latin America", "England", "The Hague", "Copeland"]
)
def test_places_that_are_not_countries_keep_their_name(place: str) -> None:
    assert canonical_name("place", place) == place


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Organiser Maria Kask", "Maria Kask"),
        ("Mr Blair", "Blair"),
        ("Mr. Blair", "Blair"),
        ("Prime Minister Tony Blair", "Tony Blair"),
        ("Shadow Home Secretary David Davis", "David Davis"),
        ("Chief Executive Officer Jane Smith", "Jane Smith"),
        ("former Chancellor Kenneth Clarke", "Kenneth Clarke"),
        ("Sir Elton John", "Elton John"),
        ("Pope John Paul II", "John Paul II"),
        ("Blair's", "Blair"),
        ("Blair’s", "Blair"),  # noqa: RUF001 - a typographic apostrophe, as articles write it
        ("Jones'", "Jones"),
        ("“Gordon  Brown”", "Gordon Brown"),
        ("Diane Abbott MP", "Diane Abbott"),
        ("Dominique de Villepin", "Dominique de Villepin"),
        ("de Villepin", "de Villepin"),
        # A title word is never the whole name: "Prince" the musician stays.
        ("Prince", "Prince"),
        ("Mervyn King", "Mervyn King"),
        ("John Major", "John Major"),
    ],
)
def test_persons_lose_honorifics_job_titles_and_possessives(written: str, canonical: str) -> None:
    assert canonical_name("person", written) == canonical


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("the BBC", "BBC"),
        ("EU", "European Union"),
        ("E.U.", "European Union"),
        ("UN", "United Nations"),
        ("McDonald's", "McDonald's"),
        ("Sainsbury’s", "Sainsbury's"),  # noqa: RUF001
        ("The Times", "The Times"),
        ("  Labour   Party ", "Labour Party"),
    ],
)
def test_organizations_keep_their_name_but_for_known_short_forms(
    written: str, canonical: str
) -> None:
    assert canonical_name("organization", written) == canonical


def test_canonical_names_are_stable() -> None:
    for kind, name in [("person", "Mr Tony Blair"), ("place", "U.S."), ("organization", "EU")]:
        once = canonical_name(kind, name)  # type: ignore[arg-type]
        assert canonical_name(kind, once) == once  # type: ignore[arg-type]


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        canonical_name("event", "World Cup")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("Tony Blair", "Blair"),
        ("Blair", "Blair"),
        ("Mr Blair", "Blair"),
        ("Martin Luther King Jr.", "King"),
        ("Edwin van der Sar", "van der Sar"),
        ("Mark Lewis-Francis", "Lewis-Francis"),
        ("Prime Minister Tony Blair's", "Blair"),
        ("", None),
        ("42", None),
    ],
)
def test_surname_is_the_family_name(name: str, family: str | None) -> None:
    assert surname(name) == family


@pytest.mark.parametrize(
    ("written", "full"),
    [
        ("Tories", "Conservative Party"),
        ("Lib Dem", "Liberal Democrats"),
        ("GOP", "Republican Party"),
    ],
)
def test_party_forms_give_the_party(written: str, full: str) -> None:
    assert party(written) == full


def test_a_party_member_or_another_word_is_no_party() -> None:
    assert party("Democrat") is None
    assert party("Labrador") is None
