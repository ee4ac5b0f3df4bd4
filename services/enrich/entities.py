"""Named entities: spaCy mentions folded into one canonical name and type per article.

The small models label the same person "Trump" (PERSON) in one sentence and "Trump" (ORG) in
the next, tag "Beyond Ukraine" as a person and read title-cased headlines as strings of names
("Putin Meet"). Users filter on entity names, so within an article:
- every mention is trimmed (leading prepositions and articles, honorifics, possessives) and
  well-known abbreviations are spelled out ("U.S." -> "United States");
- among names of people and organisations (whatever the model said of each mention), a
  shorter name folds into the fullest name it ends ("Trump", "Mr. Trump" -> "Donald Trump"),
  a single word into the one name it starts ("Phillips" -> "Phillips Idowu", "Altria" ->
  "Altria Group"), an acronym into the organisation it abbreviates; places and events never
  fold, since "Korea" may be North or South;
- the type is the majority vote of the mentions folded together (but for first words, which
  say little), where a person vote counts double (a surname in an ORG slot is the model's
  commonest slip, the reverse is rare);
- headlines are not read by the model at all: they only add mentions of names the body has.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Span, Token

from services.enrich.gazetteer import is_country, is_place
from services.enrich.wordlists import (
    DEMONYMS,
    EVENT_ENDINGS,
    GENERIC_ORGANIZATION_NOUNS,
    HONORIFICS,
    INNER_HONORIFICS,
    LEADING_WORDS,
    LEGAL_FORMS,
    LISTED_ORGANIZATIONS,
    LISTED_PLACES,
    LOCATIVE_PREPOSITIONS,
    LOWERCASE_LEADING_WORDS,
    MONTHS,
    ORGANIZATION_AFTER,
    ORGANIZATION_DESCRIPTORS,
    ORGANIZATION_ENDINGS,
    PERSON_DESCRIPTORS,
    PERSON_TITLES,
    PLACE_ENDINGS,
    PLACE_NOUNS,
    SPEECH_VERBS,
    SPORTS,
    TEAM_NOUNS,
    TEAM_OPPONENT_WORDS,
    WEEKDAYS,
    WORK_NOUNS,
)
from shared.names import PARTIES, canonical_name, country, party

# spaCy labels (OntoNotes for English, WikiNER for most other languages) -> the types apps
# filter on. Labels missing here (dates, numbers, money) are not entities for us.
ENTITY_TYPES: dict[str, str] = {
    "PERSON": "person",
    "PER": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "EVENT": "event",
    "NORP": "other",
    "PRODUCT": "other",
    "WORK_OF_ART": "other",
    "LAW": "other",
    "LANGUAGE": "other",
    "MISC": "other",
}
# Tie-break between types with as many votes.
_TYPE_PRIORITY = ("person", "organization", "place", "event", "other")
_PERSON_VOTE = 2


_TRAILING_TOKENS = frozenset({"'s", "’s", "'", "’"})  # noqa: RUF001 - typographic marks
_HYPHEN_COMPOUND = re.compile(r"[A-Z][\w.]*(?:-[A-Z][\w.]*)+")
_JOINED = re.compile(r"(\S.*?) and (\S.*)")
_ACRONYM = re.compile(r"(?:[A-Z]\.?){2,8}")
_ACRONYM_SKIP = frozenset({"of", "and", "for", "the", "&", "de", "du", "des", "la", "le"})


@dataclass
class Mention:
    name: str  # trimmed surface, later the canonical name
    type: str
    segment: int  # index of the segment it was found in
    start: int | None  # offsets in the body; None in a title or a heading outside the body
    end: int | None
    honorific: bool = False
    surface: str | None = None  # as written, when it differs from `name`
    # What the words around this mention say of it: "person" ("Smith said", "Smith, 45,"),
    # "team" ("England coach", "beat France"), "located" ("in Crete"), "work" ("film Amelie").
    cue: str | None = None


def _is_leading_word(text: str) -> bool:
    lower = text.lower()
    return lower in LEADING_WORDS or (text == lower and lower in LOWERCASE_LEADING_WORDS)


def _trim(span: Span) -> tuple[int, int, bool]:
    """Token bounds of the name inside an entity span, and whether an honorific preceded it."""
    first, last = span.start, span.end - 1
    doc = span.doc
    honorific = False
    while first < last and _is_leading_word(doc[first].text):
        first += 1
    if ENTITY_TYPES.get(span.label_) == "person":
        while first < last and doc[first].lower_.rstrip(".") in HONORIFICS:
            first += 1
            honorific = True
    while last > first and (doc[last].is_punct or doc[last].lower_ in _TRAILING_TOKENS):
        last -= 1
    while first < last and doc[first].is_punct:
        first += 1
    return first, last + 1, honorific


_BEFORE_A_DAY = frozenset({"on", "last", "next", "this", "until", "since", "every", ","})
_TITLE_CASE_FUNCTION_WORDS = frozenset({"And", "Or", "But", "To", "In", "On", "With", "Is"})
_OPENING_QUOTES = frozenset("\"'“‘«")  # noqa: RUF001 - typographic marks
_CLOSING_QUOTES = frozenset("\"'”’»")  # noqa: RUF001


_ALSO_VERBS = frozenset({"hit", "hits", "play", "show", "shows", "book", "track", "single"})


def _work_noun(token: Token) -> bool:
    """A noun announcing a title ("hit film Amelie"), not a verb ("the ball hit Smith")."""
    lower = token.lower_
    return lower in WORK_NOUNS and (lower not in _ALSO_VERBS or token.tag_.startswith("NN"))


def _typed_by_context(doc: Doc, first: int, end: int, kind: str) -> str:
    """The type the words around a name and its own last word give it, else `kind`.

    A title of a work in quotes or after "the album" is no person, organisation or place; a
    lone name after "in" is a place; "Stata Labs" is an organisation, "Euston Road" a place.
    """
    before = doc[first - 1] if first > 0 else None
    after = doc[end] if end < len(doc) else None
    if before is not None and _work_noun(before):
        return "other"
    if (
        before is not None
        and after is not None
        and before.text in _OPENING_QUOTES
        and after.text in _CLOSING_QUOTES
    ):
        return "other"
    if any(t.text in _TITLE_CASE_FUNCTION_WORDS for t in doc[first + 1 : end - 1]):
        return "other"  # "Get Rich And Die Tryin": a title, written in title case
    if (
        kind != "organization"  # "UN Development Programme"
        and end - first > 1
        and doc[end - 1].is_title
        and doc[end - 1].lower_ in WORK_NOUNS
    ):
        return "other"  # "The Sunday Programme", "The Late Show"
    last = doc[end - 1].lower_
    words = [t.lower_ for t in doc[first:end]]
    if len(words) > 1 and words[0] in SPORTS and is_place(doc[first + 1 : end].text):
        return "organization"  # "Athletics Ireland", "Rugby Australia": a governing body
    if (kind in _NAMED or kind == "place") and not is_place(doc[first:end].text):
        if last in EVENT_ENDINGS and end - first > 1:
            return "event"
        if last in ORGANIZATION_ENDINGS and end - first > 1:
            return "organization"
        if last in PLACE_ENDINGS and end - first > 1:
            return "place"
    if (
        kind in _NAMED
        and before is not None
        and before.lower_ in LOCATIVE_PREPOSITIONS
        and (end - first == 1 or is_place(doc[first:end].text))
    ):
        return "place"
    return kind


def _listed_as(doc: Doc, first: int) -> str | None:
    """The cue of a name in a list introduced by what its items are ("companies such as
    Blinkx, Copernic and Enfish", "channels, BBC1 and ITV1", "shows including X")."""
    i = first - 1
    while i >= 0 and first - i <= 16:
        token = doc[i]
        if token.lower_ == "as" and i > 0 and doc[i - 1].lower_ == "such":
            i -= 2
            break
        if token.lower_ == "including" or (token.text == "," and i > 0 and doc[i - 1].is_lower):
            i -= 1
            break
        if not (token.text in (",", "&") or token.lower_ == "and" or not token.is_lower):
            return None
        i -= 1
    else:
        return None
    while i >= 0 and doc[i].text == ",":
        i -= 1
    noun = doc[i].lower_ if i >= 0 else ""
    if noun in WORK_NOUNS:
        return "work"
    if noun in LISTED_ORGANIZATIONS:
        return "organization"
    if noun in LISTED_PLACES:
        return "located"
    return None


def _cue(doc: Doc, first: int, end: int) -> str | None:
    """What the words next to a name say it is (see `Mention.cue`)."""
    listed = _listed_as(doc, first)
    if listed:
        return listed
    before = doc[first - 1].lower_ if first > 0 else ""
    after = [t.lower_ for t in doc[end : end + 3]] + ["", "", ""]
    preceding = [t.lower_ for t in doc[max(0, first - 3) : first]]
    if (
        (first > 0 and _work_noun(doc[first - 1]))
        or (after[0] in WORK_NOUNS and doc[end].tag_.startswith("NN"))  # not "figures show"
        or (len(preceding) == 3 and preceding[0] in WORK_NOUNS and preceding[1:] == ["such", "as"])
    ):
        return "work"  # "hit film Amelie", "the Confessions album", "shows such as X"
    if after[0] in TEAM_NOUNS or (after[0] == "a" and after[1] in TEAM_NOUNS):
        return "team"  # "England coach", "the England A squad"
    if before in TEAM_OPPONENT_WORDS:
        return "team"  # "beat France"
    if before in ORGANIZATION_DESCRIPTORS:
        return "organization"  # "consultancy 4Cast", "the band Varttina"
    if before.rstrip(".") in PERSON_TITLES or (
        doc[first - 1].is_lower and before in PERSON_DESCRIPTORS
    ):
        return "title"  # "Mr Blair" (the title outside the model's span), "R&B star Usher"
    if after[0] in ORGANIZATION_AFTER and doc[end].tag_.startswith("NN"):
        return "organization"  # "the Yukos unit", "Yukos shares"
    if after[0] in SPEECH_VERBS:
        return "person"  # "Blair said"
    if after[0] == "," and after[1].isdigit() and after[2] == ",":
        return "person"  # "Smith, 45,"
    if after[0] == "," and after[1] in ("the", "a", "an"):
        return _apposition(doc, end + 2)  # "Gazprom, the world's biggest gas company,"
    if before in LOCATIVE_PREPOSITIONS or before in ("at", "from") or after[0] in PLACE_NOUNS:
        return "located"  # "in Crete", "the Neverland ranch"
    return None


def _apposition(doc: Doc, start: int) -> str | None:
    """The cue of what an apposition says a name is, by its head noun (its last word before a
    comma, a name or a relative clause): "the world's biggest gas company" (an organisation),
    "the company's chief executive" (a person)."""
    head = None
    for token in doc[start : start + 8]:
        if token.is_punct and token.text not in ("'s", "’s"):  # noqa: RUF001
            break
        if token.lower_ in ("who", "whose", "which", "that") or token.is_title:
            break
        head = token.lower_
    if head in PERSON_DESCRIPTORS:
        return "title"
    if head in GENERIC_ORGANIZATION_NOUNS:
        return "organization"
    return None


def _pieces(doc: Doc, first: int, end: int, kind: str) -> list[tuple[int, int, str, bool]]:
    """A span cut where the model glued names together: "Foreign Policy Centre Mr Straw" ->
    the centre and Straw (a person); "Cepes (Peruvian Centre ...)" -> both names."""
    for i in range(first + 1, end - 1):
        word = doc[i].lower_.rstrip(".")
        if word in INNER_HONORIFICS:
            return [(first, i, kind, False), (i + 1, end, "person", True)]
        if doc[i].text == "in" and doc[i - 1].text != "-":  # "Nationals in Santry"
            return [(first, i, kind, False), (i + 1, end, "place", False)]
        if doc[i].text == "(":
            inner_end = next((k for k in range(i + 1, end) if doc[k].text == ")"), end)
            return [(first, i, kind, False), (i + 1, inner_end, kind, False)]
    return [(first, end, kind, False)]


def _name_of(doc: Doc, first: int, end: int) -> str:
    return " ".join(doc[first:end].text.split()).strip(',;:"“”‘«»()[]-–—')  # noqa: RUF001


def mentions_in(doc: Doc, segment: int, offset: int | None) -> list[Mention]:
    """Entity mentions of one segment's doc; `offset` is where the segment starts in the body."""
    found = []
    for span in doc.ents:
        kind = ENTITY_TYPES.get(span.label_)
        if kind is None:
            continue
        first, end, honorific = _trim(span)
        # Trailing words in lower case or dashes are the model running on ("Broadus - plus").
        while end - first > 1 and (doc[end - 1].is_punct or doc[end - 1].is_lower):
            end -= 1
        opening = doc[first].lower_.rstrip(".")
        if opening in DEMONYMS:
            if end - first == 1:
                continue  # "Briton", "Frenchman": no one's name
            first += 1
        elif opening in PERSON_TITLES and end - first > 1 and not doc[first + 1].is_lower:
            first, honorific = first + 1, True
        if honorific:
            kind = "person"
        if (
            first >= 2
            and doc[end - 1].lower_ in ORGANIZATION_ENDINGS
            and doc[first - 1].lower_ == "and"
            and doc[first - 2].is_title
            and not doc[first - 2].ent_type_
        ):
            first -= 2  # "Finance and Economy Ministry": the model kept only the last part
        if (
            first >= 1
            and first == span.start
            and doc[first - 1].lower_ in WEEKDAYS
            and doc[first - 1].is_title
            and (first < 2 or doc[first - 2].lower_ not in _BEFORE_A_DAY)
        ):
            # "Sunday Telegraph": the model read "Sunday" as a date (not "on Friday Smith").
            first, kind = first - 1, "organization"
        kind = _typed_by_context(doc, first, end, kind)
        cue = _cue(doc, first, end)
        if cue == "title" and kind not in ("other", "event"):
            kind = "person"
        if cue == "located" and kind in _NAMED and not honorific and _listed_as(doc, first):
            kind = "place"  # "stations such as Kings Cross and Euston"
        if cue in ("team", "organization") and not honorific:
            # "England coach", "beat France": a side, not a country; "consultancy 4Cast".
            kind = "organization"
        for piece_first, piece_end, piece_kind, piece_honorific in _pieces(doc, first, end, kind):
            name = _name_of(doc, piece_first, piece_end)
            piece_cue = (
                "located" if piece_first > first and doc[piece_first - 1].text == "in" else cue
            )
            # Names are capitalised; "today" or a lone initial is the model's noise.
            if len(name) < 2 or not any(ch.isupper() for ch in name):
                continue
            name_span = doc[piece_first:piece_end]
            start = None if offset is None else offset + name_span.start_char
            end_char = None if start is None else start + len(name_span.text)
            found.append(
                Mention(
                    name,
                    piece_kind,
                    segment,
                    start,
                    end_char,
                    honorific or piece_honorific,
                    surface=name_span.text,
                    cue=piece_cue,
                )
            )
    found.extend(_described(doc, segment, offset))
    found.extend(_parties(doc, segment, offset))
    return found


def _parties(doc: Doc, segment: int, offset: int | None) -> list[Mention]:
    """Party names the model left out ("Labour are creating...", "Conservative policy
    co-ordinator David Cameron"): a closed class, written capitalised, found by name."""
    found = []
    # Which words are capitalised, read once: a span is looked up only where all of its words
    # are (most words are not), instead of building three spans at every word.
    capitalised = [_capitalised(t) for t in doc]
    n = len(capitalised)
    i = 0
    while i < n:
        if capitalised[i]:
            for size in (3, 2, 1):
                if i + size > n or not all(capitalised[i : i + size]):
                    continue
                span = doc[i : i + size]
                if (name := party(span.text)) is not None:
                    start = None if offset is None else offset + span.start_char
                    stop = None if start is None else start + len(span.text)
                    found.append(
                        Mention(name, "organization", segment, start, stop, surface=span.text)
                    )
                    i += size - 1
                    break
        i += 1
    return found


def _described(doc: Doc, segment: int, offset: int | None) -> list[Mention]:
    """Names the model missed after a word that says what they are ("consultancy 4Cast",
    "R&B star Usher")."""
    found = []
    for token in doc[:-1]:
        if token.lower_ in ORGANIZATION_DESCRIPTORS:
            kind, cue = "organization", "organization"
        elif token.is_lower and token.lower_ in PERSON_DESCRIPTORS:
            kind, cue = "person", "title"
        else:
            continue
        end = token.i + 1
        while end < len(doc) and end - token.i <= 3 and _capitalised(doc[end]):
            end += 1
        if end == token.i + 1 or doc[token.i + 1].lower_.rstrip(".") in PERSON_TITLES:
            continue  # no name, or a title before a name the model found ("boss Sir Alex")
        span = doc[token.i + 1 : end]
        start = None if offset is None else offset + span.start_char
        stop = None if start is None else start + len(span.text)
        found.append(Mention(span.text, kind, segment, start, stop, surface=span.text, cue=cue))
    return found


def _capitalised(token: Token) -> bool:
    """A word of a name the model did not tag as one (a number like "7Sigma" may be tagged)."""
    text = token.text
    return text[:1].isalnum() and text != token.lower_ and token.ent_type_ not in ENTITY_TYPES


def _canonical(name: str, kind: str) -> tuple[str, str]:
    """The shared canonical spelling (shared/names.py): parties and known organisations by
    name whatever the label, countries as places, persons without titles."""
    organization = canonical_name("organization", name)
    if organization != name or organization in PARTIES:
        return organization, "organization"
    place = country(name)
    if place is not None:  # a country is never a person, an event ("Iraq" war) or a work
        return place, "place" if kind in ("person", "event", "other") else kind
    if kind in ("person", "organization", "place"):
        return canonical_name(kind, name) or name, kind  # type: ignore[arg-type]
    return name, kind


def _part_name(part: str, known: dict[str, Counter[str]]) -> tuple[str, str] | None:
    """The canonical name and type of one part of "U.S.-Russia", if it names something."""
    if part in known:
        return part, _majority(known[part])
    place = country(part)
    if place is not None:
        return place, "place"
    organization = canonical_name("organization", part)
    return (organization, "organization") if organization != part else None


def _spell_out(mentions: list[Mention]) -> list[Mention]:
    """Split "U.S.-Russia" into the names it joins."""
    known: dict[str, Counter[str]] = {}
    for m in mentions:
        if not _HYPHEN_COMPOUND.fullmatch(m.name):
            known.setdefault(m.name, Counter())[m.type] += 1
    out: list[Mention] = []
    for m in mentions:
        joined = _JOINED.fullmatch(m.name)
        named: list[tuple[str, str] | None]
        if joined and (joined.group(1) in known or joined.group(2) in known):
            # "Gazprom and Gazpromneft" where the article also names "Gazprom" alone.
            parts, separator = [joined.group(1), joined.group(2)], " and "
            named = [_part_name(p, known) or (p, m.type) for p in parts]
        else:
            parts = m.name.split("-") if _HYPHEN_COMPOUND.fullmatch(m.name) else []
            named, separator = [_part_name(p, known) for p in parts], "-"
        if not any(named):
            out.append(m)
            continue
        position = 0
        for part, found in zip(parts, named, strict=True):
            # Each part takes the type it has elsewhere: the compound's label fits neither.
            if found is not None:
                start = None if m.start is None else m.start + position
                end = None if start is None else start + len(part)
                out.append(Mention(found[0], found[1], m.segment, start, end, surface=part))
            position += len(part) + len(separator)
    return out


def _majority(votes: Counter[str]) -> str:
    return max(_TYPE_PRIORITY, key=lambda t: (votes[t], -_TYPE_PRIORITY.index(t)))


def _is_acronym(short: str, full: str) -> bool:
    if not _ACRONYM.fullmatch(short):
        return False
    initials = "".join(w[0] for w in full.split() if w.lower() not in _ACRONYM_SKIP)
    return initials.upper() == short.replace(".", "") and len(full.split()) > 1


_NAMED = ("person", "organization")  # the types whose names fold
_FOLDABLE = ("person", "organization", "other")  # what a stray short mention may be labelled


def _stray(short: str, short_type: str) -> bool:
    """A short mention that may fold into a longer name: any type but a place, and a place
    only when no gazetteer knows it ("Tautou" tagged a place beside "Audrey Tautou")."""
    return short_type in _FOLDABLE or (short_type == "place" and not is_place(short))


def _folds_by_suffix(short: str, short_type: str, full: str, full_type: str) -> bool:
    s, f = short.split(), full.split()
    if full_type not in _NAMED or not _stray(short, short_type) or short in PARTIES:
        return False  # "Labour Party" is not "Stevenage Labour Party"
    if is_country(short):
        return False  # "Ireland" (the side) is not "Athletics Ireland"
    if len(s) < len(f) and f[-len(s) :] == s:
        return True
    return full_type == "organization" and _is_acronym(short, full)


def _folds_by_prefix(short: str, short_type: str, full: str, full_type: str) -> bool:
    """ "Phillips" -> "Phillips Idowu", "Altria" -> "Altria Group"; but "BBC" is not "BBC
    News": an organisation's first word is its short name when its name ends in a legal form
    ("Baikal Finance Group")."""
    s, f = short.split(), full.split()
    if len(s) != 1 or len(f) < 2 or f[0] != s[0]:
        return False
    if full_type == "organization" and f[-1].lower() not in LEGAL_FORMS:
        return False
    return full_type in _NAMED and _stray(short, short_type)


@dataclass
class ArticleEntities:
    canonical: dict[str, str]  # surface -> canonical name
    types: dict[str, str]  # canonical name -> type
    mentions: list[Mention]  # every mention, named by its canonical name

    def to_json(self) -> list[dict[str, Any]]:
        counts: Counter[str] = Counter(m.name for m in self.mentions)
        firsts: dict[str, int] = {}
        for m in self.mentions:
            if m.start is not None and m.start < firsts.get(m.name, m.start + 1):
                firsts[m.name] = m.start
        entities = [
            {"name": name, "type": kind, "mentions": counts[name], "first_offset": firsts.get(name)}
            for name, kind in self.types.items()
            if counts[name]
        ]
        big = 1 << 62  # entities seen only in headlines sort last
        return sorted(entities, key=lambda e: (-e["mentions"], e["first_offset"] or big))


def canonicalise(
    mentions: list[Mention], common_words: frozenset[str] = frozenset()
) -> ArticleEntities:
    """Fold the body's mentions into canonical entities (see the module docstring).

    `common_words` are the article's words written in lower case: a one-word name among them
    is a common noun capitalised at a sentence start or in a heading ("Broadband", "Budget").
    """
    for m in mentions:
        written = m.name
        m.name, m.type = _canonical(m.name, m.type)
        if m.name != written:
            m.surface = m.surface or written
    mentions = _spell_out(mentions)
    votes: dict[str, Counter[str]] = {}
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    honorific: set[str] = set()
    for i, m in enumerate(mentions):
        votes.setdefault(m.name, Counter())[m.type] += (
            _PERSON_VOTE if m.type == "person" or m.cue == "team" else 1
        ) + (_PERSON_VOTE if m.honorific else 0)
        counts[m.name] += 1
        first.setdefault(m.name, m.start if m.start is not None else i)
        if m.honorific:
            honorific.add(m.name)
    canonical: dict[str, str] = {}
    types: dict[str, str] = {}
    totals: Counter[str] = Counter()
    # Fullest names first, so that every shorter one finds the names it may fold into.
    group_votes: dict[str, Counter[str]] = {}
    for name in sorted(votes, key=lambda n: (-len(n.split()), -counts[n], first[n])):
        kind = _majority(votes[name])
        targets = [c for c, t in types.items() if _folds_by_suffix(name, kind, c, t)]
        by_prefix = False
        if not targets:  # a first name only when it starts a single known name
            starts = [c for c, t in types.items() if _folds_by_prefix(name, kind, c, t)]
            targets, by_prefix = (starts, True) if len(starts) == 1 else ([], False)
        # "Trump" beside "Donald Trump" and "Melania Trump": the most mentioned wins.
        target = max(targets, key=lambda c: (totals[c], -first[c])) if targets else name
        if not targets:
            types[name] = kind
        canonical[name] = target
        totals[target] += counts[name]
        if name in honorific:
            honorific.add(target)
        # "Altria" (PERSON) says nothing about what "Altria Group" is, nor does a stray place
        # label ("Tautou") about "Audrey Tautou".
        if not by_prefix and not (targets and kind == "place"):
            group_votes.setdefault(target, Counter()).update(votes[name])
    types = {name: _majority(group_votes[name]) for name in types}
    cues: dict[str, set[str | None]] = {}
    for m in mentions:
        cues.setdefault(canonical[m.name], set()).add(m.cue)
    for name, kind in list(types.items()):
        if "work" in cues[name] and kind != "other" and not (name in honorific or is_place(name)):
            types[name] = "other"  # once a title, a title throughout ("in Amelie")
        if " " in name or name in honorific or name.isupper() or name in PARTIES:
            continue
        if name.casefold() in common_words:
            del types[name]  # a common noun, capitalised
        elif kind == "person" and is_place(name):
            types[name] = "place"  # a lone word the model took for a person: "Birkenhead"
        elif "organization" in cues[name] and "title" not in cues[name]:
            types[name] = "organization"  # "gas giant Gazprom" even where "Gazprom said"
        elif (kind == "person" and not cues[name] & {"person", "title"}) or (
            kind == "place" and not is_place(name) and "located" not in cues[name]
        ):
            # One word, no first name, no title, never the subject of "said", no gazetteer:
            # the model's guess at a company, product or title ("Yukos", "Xenon", "Windows").
            types[name] = "organization" if group_votes[name]["organization"] else "other"
    kept = []
    for m in mentions:
        m.name = canonical[m.name]
        if m.name in types:
            m.type = types[m.name]
            kept.append(m)
    for m in kept:
        if m.surface and m.surface not in canonical:
            canonical[m.surface] = m.name
    canonical = {surface: name for surface, name in canonical.items() if name in types}
    return ArticleEntities(canonical, types, kept)


def headline_mentions(
    entities: ArticleEntities, text: str, segment: int, offset: int | None
) -> list[Mention]:
    """Mentions in a title or heading of names already found in the body, as whole words."""
    surfaces = sorted(entities.canonical, key=len, reverse=True)
    if not surfaces:
        return []
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, surfaces)) + r")(?!\w)")
    found = []
    for match in pattern.finditer(text):
        surface = match.group()
        name = entities.canonical[surface]
        start = None if offset is None else offset + match.start()
        end = None if start is None else start + len(surface)
        found.append(Mention(name, entities.types[name], segment, start, end))
    return found


def missed_mentions(
    entities: ArticleEntities, body: str, common_words: frozenset[str] = frozenset()
) -> list[Mention]:
    """Mentions in the body of persons and organisations already found, where the model
    missed them ("Mourinho added that..." in a long paragraph): who "he said" is depends on
    every mention. A one-word name the article also writes in lower case is left alone."""
    taken = sorted((m.start, m.end) for m in entities.mentions if m.start is not None)
    surfaces = sorted(
        (
            surface
            for surface, name in entities.canonical.items()
            if entities.types[name] in _NAMED
            and len(surface) > 2
            and surface[0].isupper()
            and (" " in surface or surface.casefold() not in common_words)
        ),
        key=len,
        reverse=True,
    )
    if not surfaces:
        return []
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, surfaces)) + r")(?![\w-])")
    found = []
    starts = [t[0] for t in taken]
    for match in pattern.finditer(body):
        i = bisect.bisect_right(starts, match.start()) - 1
        if i >= 0 and match.start() < (taken[i][1] or 0):
            continue  # inside a mention the model found
        if i + 1 < len(taken) and (taken[i + 1][0] or 0) < match.end():
            continue
        name = entities.canonical[match.group()]
        found.append(Mention(name, entities.types[name], -1, match.start(), match.end()))
    return found


_AGENCY = re.compile(r"\s*\([^)]*\)\s*$")


def dateline_mentions(text: str, segment: int, offset: int | None) -> list[Mention]:
    """The places of a dateline ("Anchorage, Alaska", "WASHINGTON (Reuters)"), no model needed.

    The model misses them (a bare list of names, no sentence); they are places by convention.
    """
    places = _AGENCY.sub("", text)
    found = []
    position = 0
    for part in places.split(","):
        name = part.strip()
        start = position + len(part) - len(part.lstrip())
        position += len(part) + 1
        words = name.split()
        if (
            not words
            or len(words) > 4
            or not name[0].isupper()
            or any(ch.isdigit() for ch in name)
            or words[0].lower().rstrip(".") in MONTHS
        ):
            continue
        if name.isupper() and len(name) > 3:  # "WASHINGTON" but not "UK"
            name = name.title()
        written = len(name)
        name = country(name) or name
        body_start = None if offset is None else offset + start
        end = None if body_start is None else body_start + written
        found.append(Mention(name, "place", segment, body_start, end))
    return found
