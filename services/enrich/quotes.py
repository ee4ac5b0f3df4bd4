"""Direct quotations and who said them.

A quotation is the text between double quote marks (“ ” „ “ « » " ") within one body line.
A quote left open runs to the next opening mark or the end of the line: that is the press
convention for a quote that goes on in the next paragraph (`"First part. "Second part," she
said.`), and straight marks are told apart by their context (an opening mark follows a space
and precedes a word; a closing one follows a word).

The speaker is first read off the tokens next to the marks, without a parse (`“…,” Putin
said`, `“…,” said Putin`, `Ms Hewitt said: “…”`, when the words name a person in full). Else
only the sentences that hold the quotation are parsed, and the speaker is
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
import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from services.enrich.entities import ArticleEntities, Mention
from services.enrich.wordlists import (
    GENDERED_TITLES,
    GENERIC_ORGANIZATION_NOUNS,
    HONORIFICS,
    LEADING_WORDS,
    ORGANIZATION_NOUNS,
    PRONOUN_GENDERS,
    PRONOUNS,
    ROLE_NOUNS,
    SPEECH_VERBS,
    SPOKESPERSONS,
)

MIN_UNATTRIBUTED_WORDS = 3

_OPENING_MARKS = frozenset("“„«‟")
_CLOSING_MARKS = frozenset("”»")
_BEFORE_OPENING = frozenset("([{—–-/")  # noqa: RUF001 - typographic marks

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
_ADJACENT = 3  # tokens looked at on each side of a speech verb without a subject
_BEFORE_TOKENS = 16  # tokens before a quotation read for "Ms Hewitt said:"


@dataclass
class Quote:
    text: str
    start: int  # offset of `text` in the body
    outer_start: int  # offsets of the quotation with its marks, in the body
    outer_end: int
    segment: int
    paragraph: int
    opens_paragraph: bool
    closed: bool = True  # False: left open, to go on in the next quotation
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


def _role(text: str, i: int, open_mark: str | None) -> str | None:
    """Whether the mark at `i` opens or closes a quotation, or is no quote mark."""
    ch = text[i]
    if ch == '"':
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if (before.isspace() or before in _BEFORE_OPENING) and not after.isspace():
            return "open"
        return "close" if not before.isspace() else None
    if ch == "“" and open_mark == "„":  # German „…“
        return "close"
    if ch in _OPENING_MARKS:
        return "open"
    return "close" if ch in _CLOSING_MARKS else None


def find_quotes(
    text: str, offset: int, segment: int, paragraph: int, opens_paragraph: bool
) -> list[Quote]:
    """Quotations in one body line starting at `offset` in the body."""
    spans: list[tuple[int, int, int]] = []  # opening mark, end of the text, end with the mark
    open_at: int | None = None
    for i, ch in enumerate(text):
        if ch != '"' and ch not in _OPENING_MARKS and ch not in _CLOSING_MARKS:
            continue
        role = _role(text, i, text[open_at] if open_at is not None else None)
        if role == "open":
            if open_at is not None:  # the previous quote went on without a closing mark
                spans.append((open_at, i, i))
            open_at = i
        elif role == "close" and open_at is not None:
            spans.append((open_at, i, i + 1))
            open_at = None
    if open_at is not None:
        spans.append((open_at, len(text), len(text)))
    quotes = []
    for open_mark, text_end, outer_end in spans:
        lead, cleaned = _clean(text[open_mark + 1 : text_end])
        if cleaned:
            quotes.append(
                Quote(
                    text=cleaned,
                    start=offset + open_mark + 1 + lead,
                    outer_start=offset + open_mark,
                    outer_end=offset + outer_end,
                    segment=segment,
                    paragraph=paragraph,
                    opens_paragraph=opens_paragraph and not text[:open_mark].strip(),
                    closed=outer_end > text_end,
                )
            )
    return quotes


_NEAR_QUOTE_CHARS = 200  # a pronoun this close after a quotation refers to its speaker
_SPEAKING_TYPES = frozenset({"person", "organization"})  # never a place or a work
_RELATIVE_PRONOUNS = frozenset({"who", "which", "that", "qui"})
_HONORIFIC_BEFORE = re.compile(r"(\w+)\.?\s+$")


@dataclass
class _Speaker:
    """A person named outside quotations, or someone speaking for a body ("a Labour
    spokesman"), who a later "he", "she" or "the spokeswoman" may refer to."""

    start: int
    name: str
    gender: str | None  # "m", "f" or None when nothing in the text says


class SpeakerResolver:
    """Maps a token of a parsed window to the canonical entity it names.

    `body` gives a person's gender from the title before a mention ("Mr", "Ms"), so that
    "she said" never goes to a man; `sentence_starts` (body offsets) let a pronoun refer to
    the subject of the last sentence that names someone.
    """

    def __init__(
        self,
        entities: ArticleEntities,
        quotes: list[Quote],
        body: str = "",
        sentence_starts: Iterable[int] = (),
    ) -> None:
        outside = [
            m for m in entities.mentions if m.start is not None and not _inside(m.start, quotes)
        ]
        self._mentions = sorted(outside, key=lambda m: m.start or 0)
        self._starts = [m.start or 0 for m in self._mentions]
        genders: dict[str, str] = {}
        for m in entities.mentions:
            if m.type == "person" and m.start is not None:
                title = _HONORIFIC_BEFORE.search(body[max(0, m.start - 12) : m.start])
                gender = GENDERED_TITLES.get(title.group(1).lower()) if title else None
                if gender:
                    genders.setdefault(m.name, gender)
        self._speakers = [
            _Speaker(m.start or 0, m.name, genders.get(m.name))
            for m in self._mentions
            if m.type == "person"
        ]
        self._person_names = {m.name for m in entities.mentions if m.type == "person"}
        self._sentence_starts = sorted(sentence_starts)
        self._quotes = quotes

    def add_spokesperson(self, start: int, name: str) -> None:
        """Someone speaking for `name` at `start` ("a spokeswoman for the FA")."""
        bisect.insort(self._speakers, _Speaker(start, name, None), key=lambda s: s.start)

    def mention_at(self, offset: int) -> Mention | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < (self._mentions[i].end or 0):
            return self._mentions[i]
        return None

    def _sentence_of(self, offset: int) -> int:
        return bisect.bisect_right(self._sentence_starts, offset)

    def last_person_before(self, offset: int, pronoun: str | None = None) -> str | None:
        """Who "he", "she" or "the minister" is: someone named since the last quotation
        (the subject, first named, of the last sentence that names anyone), else the
        speaker of a quotation just before, else the last person named; never someone
        of the other gender."""
        wanted = PRONOUN_GENDERS.get(pronoun or "")
        before = [
            s
            for s in self._speakers[: bisect.bisect_left([s.start for s in self._speakers], offset)]
            if wanted is None or s.gender in (None, wanted)
        ]
        previous = [
            q
            for q in self._quotes
            if q.outer_end <= offset < q.outer_end + _NEAR_QUOTE_CHARS and q.speaker
        ]
        since = previous[-1].outer_end if previous else -1
        recent = [s for s in before if s.start >= since]
        if recent:
            sentence = self._sentence_of(recent[-1].start)
            return next(s.name for s in recent if self._sentence_of(s.start) == sentence)
        if previous and previous[-1].speaker in self._person_names:
            return previous[-1].speaker  # not "ABC said ... the rapper's spokesman said"
        return before[-1].name if before else None

    def last_spokesperson_before(self, offset: int) -> str | None:
        """Who "the spokeswoman" speaks for: the last body someone was named speaking for."""
        names = {m.name for m in self._mentions if m.type == "person"}
        spoken = [s for s in self._speakers if s.start < offset and s.name not in names]
        return spoken[-1].name if spoken else None

    def last_organization_before(self, offset: int, noun: str) -> str | None:
        """What "the ministry" or "the company" is: the last organisation named before
        whose name has that noun, else (for a generic noun) the last organisation named."""
        i = bisect.bisect_left(self._starts, offset)
        organizations = [m.name for m in self._mentions[:i] if m.type == "organization"]
        matching = [n for n in organizations if noun in n.lower().split()]
        if matching:
            return matching[-1]
        generic = noun in GENERIC_ORGANIZATION_NOUNS or not noun  # "the company", "it"
        return organizations[-1] if organizations and generic else None

    def _spoken_for(self, token: Token, window_offset: int) -> str | None:
        """The body a spokesman speaks for: "an FA spokesman", "a spokeswoman for the
        Information Commissioner's Office", "Labour's spokesman"."""
        for child in token.children:
            targets = [child]
            if child.dep_ == "prep" and child.lower_ in ("for", "of", "at"):
                targets = list(child.subtree)
            elif child.dep_ not in ("compound", "poss", "amod", "nmod", "npadvmod"):
                continue
            for target in targets:
                mention = self.mention_at(window_offset + target.idx)
                if mention and mention.type in _SPEAKING_TYPES:
                    return mention.name
            if child.dep_ == "poss" and child.lower_ in ROLE_NOUNS:  # "the rapper's spokesman"
                return self.last_person_before(window_offset + child.idx)
        return None

    def name(self, token: Token, window_offset: int, *, persons_only: bool) -> str | None:
        wanted = {"person"} if persons_only else _SPEAKING_TYPES
        for candidate in (token, *(c for c in token.children if c.dep_ in ("appos", "flat"))):
            mention = self.mention_at(window_offset + candidate.idx)
            if mention and mention.type in wanted:
                return mention.name
        at = window_offset + token.idx
        if token.lower_ in PRONOUNS:
            return self.last_person_before(at, token.lower_)
        definite = any(c.lower_ in ("the", "le", "la", "this") for c in token.children)
        if token.lower_ in ROLE_NOUNS:
            spoken_for = None if persons_only else self._spoken_for(token, window_offset)
            if spoken_for:
                return spoken_for
            if definite and token.lower_ in SPOKESPERSONS and not persons_only:
                return self.last_spokesperson_before(at)
            # "the minister said": the person the story is about; "a spokesman": someone else.
            if definite and token.lower_ not in SPOKESPERSONS:
                return self.last_person_before(at)
        if definite and not persons_only and token.lower_ in ORGANIZATION_NOUNS:
            return self.last_organization_before(at, token.lower_)  # "the ministry said"
        return None


_SPOKEN_FOR_PREPOSITIONS = frozenset({"for", "of", "at", "from"})
_POSSESSIVES = frozenset({"'s", "’s"})  # noqa: RUF001 - the typographic apostrophe too


def add_spokespersons(doc: Doc, offset: int, resolver: SpeakerResolver) -> None:
    """Register who the spokespeople of a paragraph speak for ("a Labour spokesman", "a
    spokeswoman for the Information Commissioner's Office", "the rapper's spokesman"), so a
    later "she said" or "said the spokeswoman" goes to the body or person spoken for."""
    for token in doc:
        if token.lower_ not in SPOKESPERSONS or token.lower_ == "statement":
            continue
        before = reversed(doc[max(0, token.i - 4) : token.i])  # "a Labour spokesman"
        spoken_for = _speaking_body_in(before, offset, resolver, possessive_roles=True)
        following = doc[token.i + 1 : token.i + 9]  # "a spokeswoman for the ministry"
        if spoken_for is None and following and following[0].lower_ in _SPOKEN_FOR_PREPOSITIONS:
            spoken_for = _speaking_body_in(following[1:], offset, resolver, possessive_roles=False)
        if spoken_for:
            resolver.add_spokesperson(offset + token.idx, spoken_for)


def _speaking_body_in(
    tokens: Iterable[Token], offset: int, resolver: SpeakerResolver, *, possessive_roles: bool
) -> str | None:
    """The first body or person named among `tokens`, up to a punctuation mark: a mention of
    a speaking type or, with `possessive_roles`, a role noun before a possessive ("the
    rapper's": the last person named)."""
    for t in tokens:
        if t.is_punct and t.text not in _POSSESSIVES:
            return None
        mention = resolver.mention_at(offset + t.idx)
        if mention is not None and mention.type in _SPEAKING_TYPES:
            return mention.name
        if possessive_roles and t.lower_ in ROLE_NOUNS and t.nbor().text in _POSSESSIVES:
            return resolver.last_person_before(offset + t.idx)
    return None


def _inside(offset: int, quotes: Iterable[Quote]) -> bool:
    return any(q.outer_start <= offset < q.outer_end for q in quotes)


def _is_name_word(token: Token, offset: int, resolver: SpeakerResolver) -> bool:
    return (
        resolver.mention_at(offset + token.idx) is not None
        or token.lower_.rstrip(".") in HONORIFICS
        or token.lower_ in PRONOUNS
    )


def _person_named(words: list[Token], offset: int, resolver: SpeakerResolver) -> str | None:
    """The person a short run of words names in full ("Putin", "Ms Hewitt", "he"), or None."""
    if len(words) == 1 and words[0].lower_ in PRONOUNS:
        return resolver.last_person_before(offset + words[0].idx, words[0].lower_)
    if len(words) == 1 and words[0].lower_ == "it":  # '"…," it said in a statement'
        return resolver.last_organization_before(offset + words[0].idx, "")
    mentions = [resolver.mention_at(offset + t.idx) for t in words]
    found = {id(m): m for m in mentions if m is not None}
    if len(found) != 1:
        return None
    (mention,) = found.values()
    if mention.type not in _SPEAKING_TYPES:
        return None
    rest = [t for t in words if resolver.mention_at(offset + t.idx) is not mention]
    return mention.name if all(t.lower_.rstrip(".") in HONORIFICS for t in rest) else None


def attribute_adjacent(
    quote: Quote, doc: Doc, offset: int, quotes: list[Quote], resolver: SpeakerResolver
) -> bool:
    """The common shapes, read off the tokens next to the marks without a parse.

    `“…,” Putin said`, `“…,” said Putin` and `Ms Hewitt said: “…”` settle most quotations;
    only the others go to the parser (about a third of the enrich stage when everything did).
    `offset` is where the doc starts in the body. True when a person was found.
    """
    # Only quotations of this segment can hold its tokens (the others are elsewhere in the body),
    # and only a few tokens on each side matter: long paragraphs with many quotations made
    # scanning every token for every quotation a tenth of the stage.
    local = [q for q in quotes if q.segment == quote.segment]
    after_at = bisect.bisect_left([t.idx for t in doc], quote.outer_end - offset)
    after: list[Token] = []
    # A quotation left open says nothing after it; words past the next quotation are another's.
    for t in doc[after_at:] if quote.closed else ():
        if _inside(offset + t.idx, local):
            break
        after.append(t)
        if len(after) == _ADJACENT + 3:
            break
    before_at = bisect.bisect_left([t.idx for t in doc], quote.outer_start - offset)
    before: list[Token] = []
    for t in reversed(doc[:before_at]):
        if not _inside(offset + t.idx, local):
            before.insert(0, t)
            if len(before) == _BEFORE_TOKENS:
                break
    if after and after[0].text == ",":
        after = after[1:]
    verb_at = next((i for i, t in enumerate(after) if t.lower_ in SPEECH_VERBS), None)
    # After a full stop inside the marks a new sentence starts: "Mourinho added that ..." is
    # news of its own, only a bare "Mourinho said." is an attribution.
    last_char = quote.outer_end - offset - 2
    if quote.closed and 0 <= last_char < len(doc.text) and doc.text[last_char] == ".":
        sentence_end = next((i for i, t in enumerate(after) if t.is_punct), len(after))
        if verb_at is not None and sentence_end > _ADJACENT + 1:
            verb_at = None
    if verb_at == 0:  # “…,” said Putin
        words = []
        for t in after[1:]:
            if t.is_punct or not _is_name_word(t, offset, resolver):
                break
            words.append(t)
        speaker = _person_named(words, offset, resolver) if words else None
    elif verb_at is not None:  # “…,” Putin said
        speaker = _person_named(after[:verb_at], offset, resolver)
    else:
        speaker = None
    if speaker is None:  # Ms Hewitt said: “…” / Trump said that “…”
        while before and (before[-1].is_punct or before[-1].lower_ in ("that", "que", "dass")):
            before.pop()
        if before and before[-1].lower_ in SPEECH_VERBS:
            words = []
            for t in reversed(before[:-1][-(_ADJACENT + 2) :]):
                if t.is_punct or not _is_name_word(t, offset, resolver):
                    break
                words.insert(0, t)
            preceding = before[-2 - len(words)] if len(before) > len(words) + 1 else None
            # "the wife of Donald Trump said": the name is not the subject.
            if words and (preceding is None or preceding.lower_ not in LEADING_WORDS):
                speaker = _person_named(words, offset, resolver)
    if speaker:
        quote.speaker = speaker
    return speaker is not None


def _subjects(verb: Token) -> list[Token]:
    """Who does the speaking of a speech verb, nearest first ("spokeswoman", "Gidley")."""
    if verb.lower_ in _PREPOSITIONAL:  # according to X / selon X / X zufolge
        objects = [t for t in verb.subtree if t.dep_ in ("pobj", "obl", "nmod") and t is not verb]
        return objects or ([verb.head] if verb.head is not verb else [])
    token = verb
    for _ in range(_MAX_CLIMB):
        subjects = [c for c in token.children if c.dep_ in _SUBJECT_DEPS]
        if subjects:
            return sorted(subjects, key=lambda s: abs(s.i - token.i))
        if token.dep_ not in _CLIMB_DEPS or token.head is token:
            return []
        token = token.head
    return []


def _by_speech_verb(
    verbs: list[Token], quote: Quote, quotes: list[Quote], resolver: SpeakerResolver, offset: int
) -> bool:
    """Try the verbs in order; True when one settled the speaker (named or not)."""
    for verb in verbs:
        subjects = [s for s in _subjects(verb) if not _inside(offset + s.idx, quotes)]
        # "Holmes, who has admitted she ...": a relative pronoun stands for the noun it hangs on.
        subjects = [
            s.head.head if s.lower_ in _RELATIVE_PRONOUNS and s.head.dep_ == "relcl" else s
            for s in subjects
        ]
        if not subjects:
            # Small parsers often miss a subject ("…", a déclaré Emmanuel Macron / said Trump
            # / the Foreign Policy Centre Mr Straw said of the Tory leader): take a name right
            # before the verb, else one right after it, but not past a preposition ("of the
            # Tory leader" names whom the words were about).
            doc = verb.doc
            before = reversed(doc[max(0, verb.i - _ADJACENT) : verb.i])
            after = []
            for t in doc[verb.i + 1 : verb.i + 1 + _ADJACENT]:
                if t.is_punct or t.lower_ in LEADING_WORDS:
                    break
                after.append(t)
            subjects = [t for t in (*before, *after) if not _inside(offset + t.idx, quotes)]
            named = (resolver.name(t, offset, persons_only=False) for t in subjects)
            speaker = next((n for n in named if n), None)
            if speaker:
                quote.speaker = speaker
                return True
            continue
        for subject in subjects:
            speaker = resolver.name(subject, offset, persons_only=False)
            if speaker:
                quote.speaker = speaker
                return True
        if subjects and verb.lower_ not in _PREPOSITIONAL:
            quote.unnamed_speaker = True  # "a spokesman said": someone, but no one we know
            return True
    return False


def _speech_verbs(tokens: Iterable[Token]) -> list[Token]:
    return [t for t in tokens if t.lower_ in SPEECH_VERBS and t.dep_ not in _NOUN_DEPS]


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
        # Only a bare attribution: "Mourinho added that the match..." says something new.
        following = sentences[last_sent + 1]
        frame += [v for v in _speech_verbs(following[:4]) if following.end - v.i <= _ADJACENT + 1]
    # The clause the quotation hangs on: its root token's ancestors outside it.
    roots = [t for t in inside if not quote.outer_start <= body(t.head) < quote.outer_end]
    governing = {a.i for a in roots[0].ancestors} if roots else set()
    # A verb the quotation depends on beats a nearer one of another clause ("The Tories
    # dismissed it as "desperate", while the Liberal Democrats said...").
    verbs = sorted(
        _speech_verbs(frame),
        key=lambda v: (
            v.i not in governing,
            min(abs(v.i - inside[0].i), abs(v.i - inside[-1].i)),
        ),
    )
    if _by_speech_verb(verbs, quote, quotes, resolver, window_offset):
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
                break
            token = token.head
    # A quotation that is a sentence of its own: the speaker announced just before ("She
    # added that progress was made. "The average woman...").
    if first_sent > 0 and inside[0].i <= sentences[first_sent].start + 1 and not quote.speaker:
        previous = [t for t in sentences[first_sent - 1] if not _inside(body(t), quotes)]
        verbs = sorted(_speech_verbs(previous), key=lambda v: -v.i)
        _by_speech_verb(verbs, quote, quotes, resolver, window_offset)


def carry_over(quotes: list[Quote]) -> None:
    """Unattributed quotations take the speaker of their neighbours (a quote continued).

    A quotation left open goes on in the next one (the press convention for a quote running
    over sentences and paragraphs): the whole run is one speaker's, whoever the words after
    its last part happen to name.
    """
    runs: list[list[Quote]] = []
    for q in quotes:
        if (
            runs
            and not runs[-1][-1].closed
            and (q.opens_paragraph or q.paragraph == runs[-1][-1].paragraph)
        ):
            runs[-1].append(q)
        else:
            runs.append([q])
    for run in runs:
        if len(run) > 1:
            named = [q.speaker for q in run if q.speaker]
            if named:
                for q in run:
                    q.speaker, q.unnamed_speaker = named[0], False
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
