"""Direct quotations and who said them.

A quotation is the text between double quote marks (“ ” „ “ « » " ") within one body line; a
mark left open runs to the end of the line, as in the press convention for quotes that go on
in the next paragraph. Only the sentences that hold a quotation are parsed, and the speaker is
- the subject of the speech verb nearest the quotation, outside it ("…," Putin said; Trump
  said that "…"; "…," said Trump; according to Trump), climbing from a verb without a
  subject to the clause it hangs on (Putin said, adding that "…");
- else the person subject of the clause the quotation sits in (he might "get a little heat");
- else the speaker of the previous (or next) quotation in the same paragraph, or of the
  previous paragraph when the paragraph opens with the quotation (a quote continued).
A pronoun ("he said") is the last person named before it outside quotations. A subject that is
not a known entity ("a spokesman said") gives speaker null.

Scare quotes: a quotation of one or two words ("constructive") is kept only when someone is
named as having said it; unattributed, it is emphasis, not something a person is on record
as saying.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from services.enrich.entities import ArticleEntities, Mention
from services.enrich.wordlists import PRONOUNS, SPEECH_VERBS

MIN_UNATTRIBUTED_WORDS = 3

# Opening mark -> the marks that close it.
_QUOTE_MARKS: dict[str, str] = {"“": "”", "„": "“”", "«": "»", '"': '"', "‟": "”"}

# The speech verb must be used as a verb: "states" as a subject is a noun.
_NOUN_DEPS = frozenset(
    {"nsubj", "nsubjpass", "dobj", "obj", "pobj", "compound", "amod", "poss", "attr", "appos"}
)
_SUBJECT_DEPS = frozenset({"nsubj"})
# Clause links climbed from a verb without its own subject to the one that has it.
_CLIMB_DEPS = frozenset(
    {"conj", "advcl", "xcomp", "ccomp", "parataxis", "dep", "acl", "pcomp", "prep", "relcl"}
)
_PREPOSITIONAL = frozenset({"according", "selon", "zufolge"})
_MAX_CLIMB = 4


@dataclass
class Quote:
    text: str
    start: int  # offset of `text` in the body
    outer_start: int  # offsets of the quotation with its marks, in the body
    outer_end: int
    segment: int
    paragraph: int
    opens_paragraph: bool
    speaker: str | None = None
    # A speech verb's subject was found but names no entity ("a spokesman said"): the quote
    # is someone else's, so it takes no speaker from its neighbours.
    unnamed_speaker: bool = False


def _clean(inner: str) -> tuple[int, str]:
    """Quote text without the spaces and the trailing comma or full stop inside the marks."""
    lead = len(inner) - len(inner.lstrip())
    text = inner.strip().rstrip(",;:").rstrip()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return lead, text


def find_quotes(
    text: str, offset: int, segment: int, paragraph: int, opens_paragraph: bool
) -> list[Quote]:
    """Quotations in one body line starting at `offset` in the body."""
    quotes = []
    i = 0
    while i < len(text):
        closers = _QUOTE_MARKS.get(text[i])
        if closers is None:
            i += 1
            continue
        close = next((j for j in range(i + 1, len(text)) if text[j] in closers), len(text))
        lead, cleaned = _clean(text[i + 1 : close])
        if cleaned:
            quotes.append(
                Quote(
                    text=cleaned,
                    start=offset + i + 1 + lead,
                    outer_start=offset + i,
                    outer_end=offset + min(close + 1, len(text)),
                    segment=segment,
                    paragraph=paragraph,
                    opens_paragraph=opens_paragraph and not text[:i].strip(),
                )
            )
        i = close + 1
    return quotes


class SpeakerResolver:
    """Maps a token of a parsed window to the canonical entity it names."""

    def __init__(self, entities: ArticleEntities, quotes: list[Quote]) -> None:
        outside = [
            m for m in entities.mentions if m.start is not None and not _inside(m.start, quotes)
        ]
        self._mentions = sorted(outside, key=lambda m: m.start or 0)
        self._starts = [m.start or 0 for m in self._mentions]
        self._persons = [m for m in self._mentions if m.type == "person"]
        self._person_starts = [m.start or 0 for m in self._persons]

    def mention_at(self, offset: int) -> Mention | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < (self._mentions[i].end or 0):
            return self._mentions[i]
        return None

    def last_person_before(self, offset: int) -> str | None:
        i = bisect.bisect_left(self._person_starts, offset) - 1
        return self._persons[i].name if i >= 0 else None

    def name(self, token: Token, window_offset: int, *, persons_only: bool) -> str | None:
        for candidate in (token, *(c for c in token.children if c.dep_ in ("appos", "flat"))):
            mention = self.mention_at(window_offset + candidate.idx)
            if mention and (mention.type == "person" or not persons_only):
                return mention.name
        if token.lower_ in PRONOUNS:
            return self.last_person_before(window_offset + token.idx)
        return None


def _inside(offset: int, quotes: Iterable[Quote]) -> bool:
    return any(q.outer_start <= offset < q.outer_end for q in quotes)


def _subject(verb: Token) -> Token | None:
    if verb.lower_ in _PREPOSITIONAL:  # according to X / selon X / X zufolge
        objects = [t for t in verb.subtree if t.dep_ in ("pobj", "obl", "nmod") and t is not verb]
        return objects[0] if objects else (verb.head if verb.head is not verb else None)
    token = verb
    for _ in range(_MAX_CLIMB):
        subjects = [c for c in token.children if c.dep_ in _SUBJECT_DEPS]
        if subjects:
            return subjects[0]
        if token.dep_ not in _CLIMB_DEPS or token.head is token:
            return None
        token = token.head
    return None


def attribute(
    quote: Quote, window: Doc, window_offset: int, quotes: list[Quote], resolver: SpeakerResolver
) -> None:
    """Set the speaker of `quote` from its parsed window (see the module docstring)."""

    def body(t: Token) -> int:
        return window_offset + t.idx

    inside = [t for t in window if quote.outer_start <= body(t) < quote.outer_end]
    if not inside:
        return
    sentences = list(window.sents)
    first_sent = next(i for i, s in enumerate(sentences) if s.start <= inside[0].i < s.end)
    last_sent = next(i for i, s in enumerate(sentences) if s.start <= inside[-1].i < s.end)
    frame = [
        t for s in sentences[first_sent : last_sent + 1] for t in s if not _inside(body(t), quotes)
    ]
    if last_sent + 1 < len(sentences):  # `“…”` / `Putin said.` split into two sentences
        frame += [t for t in sentences[last_sent + 1][:4] if t.lower_ in SPEECH_VERBS]
    # The clause the quotation hangs on: its root token's ancestors outside it.
    roots = [t for t in inside if not quote.outer_start <= body(t.head) < quote.outer_end]
    governing = {a.i for a in roots[0].ancestors} if roots else set()
    verbs = [t for t in frame if t.lower_ in SPEECH_VERBS and t.dep_ not in _NOUN_DEPS]
    # A verb the quotation depends on beats a nearer one of another clause ("The Tories
    # dismissed it as "desperate", while the Liberal Democrats said...").
    verbs.sort(
        key=lambda v: (
            v.i not in governing,
            min(abs(v.i - inside[0].i), abs(v.i - inside[-1].i)),
        )
    )
    for verb in verbs:
        subject = _subject(verb)
        if subject is not None and not _inside(body(subject), quotes):
            speaker = resolver.name(subject, window_offset, persons_only=False)
            if speaker:
                quote.speaker = speaker
                return
            if verb.lower_ not in _PREPOSITIONAL:
                quote.unnamed_speaker = True
                return
    # No speech verb: the person subject of the clause the quotation sits in.
    for token in roots[:1]:
        for _ in range(_MAX_CLIMB):
            subjects = [
                c
                for c in token.children
                if c.dep_ in _SUBJECT_DEPS and not _inside(body(c), quotes)
            ]
            if subjects:
                quote.speaker = resolver.name(subjects[0], window_offset, persons_only=True)
                return
            if token.head is token:
                return
            token = token.head


def carry_over(quotes: list[Quote]) -> None:
    """Unattributed quotations take the speaker of their neighbours (a quote continued)."""
    by_paragraph: dict[int, list[Quote]] = {}
    for q in quotes:
        by_paragraph.setdefault(q.paragraph, []).append(q)
    last_speaker: dict[int, str] = {}
    for paragraph in sorted(by_paragraph):
        group = by_paragraph[paragraph]
        for i, q in enumerate(group):
            if q.speaker or q.unnamed_speaker:
                continue
            before = [g.speaker for g in group[:i] if g.speaker]
            after = [g.speaker for g in group[i + 1 :] if g.speaker]
            if before:
                q.speaker = before[-1]
            elif q.opens_paragraph and after:  # “A.” “B,” Trump said.
                q.speaker = after[0]
            elif q.opens_paragraph and paragraph - 1 in last_speaker:
                q.speaker = last_speaker[paragraph - 1]
        spoken = [q.speaker for q in group if q.speaker]
        if spoken:
            last_speaker[paragraph] = spoken[-1]


def worth_listing(quote: Quote) -> bool:
    return quote.speaker is not None or len(quote.text.split()) >= MIN_UNATTRIBUTED_WORDS
