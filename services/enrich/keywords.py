"""Keywords from the parse the entity pass already made: names and noun phrases of the article.

No second tokenisation (YAKE took a third of the stage): the candidates are
- the article's entities (canonical names), weighed by their mentions;
- noun phrases read off the part-of-speech tags of the body's docs: runs of adjectives and
  nouns ending in a noun ("maternity pay", "broadband connections"), at most three words,
  without stop words or numbers; proper nouns that are no entity count as names;
- for a language without a tagger, words that are no stop words of the language; for Chinese
  and Japanese (no spaces, and no segmenter installed) the commonest two-character words.
A candidate scores its occurrences, plus a bonus when the title or the lead holds it and for
every word past the first; a candidate whose words are all in a better one ("pay" after
"maternity pay") is dropped, and so is one that shares a word with a better one and is no
entity, or that is only a title ("President").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from services.enrich.wordlists import GENERIC_NOUNS, TITLE_WORDS

TOP_KEYWORDS = 10
KEYWORDS_METHOD = "noun-phrases-1"
_MAX_WORDS = 3
_LEAD_DOCS = 2  # the first paragraphs say what the story is about
_TITLE_BONUS = 2.0
_LEAD_BONUS = 1.0
_WORD_BONUS = 0.5
_ENTITY_WEIGHT = 1.2
# Fine-grained tags of models without coarse POS (the attribute ruler is not loaded).
_PTB_POS = {
    "NN": "NOUN",
    "NNS": "NOUN",
    "NNP": "PROPN",
    "NNPS": "PROPN",
    "JJ": "ADJ",
    "JJR": "ADJ",
    "JJS": "ADJ",
}
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass
class _Candidate:
    text: str
    count: float = 0.0
    lead: bool = False
    entity: bool = False


def keywords_version(model: str | None) -> str:
    return f"{KEYWORDS_METHOD}+{model}" if model else f"{KEYWORDS_METHOD}+words"


def _pos(token: Token) -> str:
    return token.pos_ or _PTB_POS.get(token.tag_, "")


def _plain(token: Token) -> bool:
    return token.is_alpha and not token.is_stop and len(token.text) > 1


def _phrases(doc: Doc) -> Iterable[list[Token]]:
    """Runs of adjectives and nouns ending in a noun, longest tail of at most three words."""
    run: list[Token] = []
    for token in (*doc, None):
        if token is not None and _plain(token) and _pos(token) in ("ADJ", "NOUN", "PROPN"):
            run.append(token)
            continue
        while run and _pos(run[-1]) == "ADJ":
            run.pop()
        if run:
            yield run[-_MAX_WORDS:]
        run = []


def _words(doc: Doc) -> Iterable[list[Token]]:
    """Without tags: every word that is no stop word (a language without a tagger)."""
    for token in doc:
        if _plain(token):
            yield [token]


def _cjk_words(text: str) -> Counter[str]:
    """Two-character words of Chinese or Japanese text (most words are two characters)."""
    counts: Counter[str] = Counter()
    for run in _CJK.findall(text):
        counts.update(run[i : i + 2] for i in range(len(run) - 1))
    return counts


def _entity_words(names: Iterable[str]) -> dict[str, str]:
    """Each word of an entity name -> the name ("Putin" -> "Vladimir Putin"); a word shared
    by two names ("Trump" in Donald and Melania Trump) points to neither."""
    owner: dict[str, str] = {}
    shared: set[str] = set()
    for name in names:
        for word in name.split():
            if owner.get(word, name) != name:
                shared.add(word)
            owner[word] = name
    return {w: n for w, n in owner.items() if w not in shared}


def extract_keywords(
    docs: Sequence[Doc],
    entities: Sequence[tuple[str, int]],  # (canonical name, mentions)
    title: str | None = None,
    language: str | None = None,
) -> list[str]:
    """The article's keywords, most relevant first (see the module docstring)."""
    candidates: dict[str, _Candidate] = {}
    title_key = (title or "").casefold()

    def add(text: str, count: float, lead: bool, entity: bool = False) -> None:
        key = text.casefold()
        candidate = candidates.setdefault(key, _Candidate(text))
        candidate.count += count
        candidate.lead |= lead
        candidate.entity |= entity

    for name, mentions in entities:
        add(name, mentions * _ENTITY_WEIGHT, False, entity=True)
    owner = _entity_words(name for name, _ in entities)
    tagged = any(_pos(t) for doc in docs[:3] for t in doc[:50])
    if language in ("zh", "ja") and not tagged:
        counts = _cjk_words(" ".join(doc.text for doc in docs))
        for word, count in counts.items():
            if count > 1:
                add(word, count, False)
    else:
        for i, doc in enumerate(docs):
            for words in (_phrases if tagged else _words)(doc):
                text = " ".join(t.text for t in words)
                named = [t for t in words if t.text in owner]
                if named and all(t in named or t.text[:1].isupper() for t in words):
                    continue  # a name, with a title perhaps: the entity stands for it
                if len(words) == 1 and words[0].lower_ in GENERIC_NOUNS:
                    continue
                proper = all(_pos(t) == "PROPN" or t.text[:1].isupper() for t in words)
                add(text if proper else text.lower(), 1, i < _LEAD_DOCS)
    for key, candidate in candidates.items():
        if candidate.entity:
            candidate.lead = candidate.lead or key in title_key

    def score(candidate: _Candidate) -> float:
        key = candidate.text.casefold()
        bonus = _TITLE_BONUS if key and key in title_key else 0.0
        bonus += _LEAD_BONUS if candidate.lead else 0.0
        return candidate.count + bonus + _WORD_BONUS * (len(key.split()) - 1)

    keywords: list[str] = []
    word_sets: list[set[str]] = []
    for candidate in sorted(candidates.values(), key=lambda c: (-score(c), c.text)):
        folded = {w.casefold() for w in candidate.text.split()}
        if (
            not folded
            or folded <= TITLE_WORDS
            or any(folded <= seen or (not candidate.entity and folded & seen) for seen in word_sets)
        ):
            continue
        keywords.append(candidate.text)
        word_sets.append(folded)
        if len(keywords) == TOP_KEYWORDS:
            break
    return keywords
