"""Keywords with YAKE: unsupervised, per language (its own stop-word lists), no model.

YAKE favours capitalised n-grams, so raw it lists "President Donald", "Putin" and "Vladimir
Putin" side by side. Two clean-ups make the list useful for search facets:
- a keyword made of part of an entity's name plus honorifics or common words ("President
  Donald", "firm Google") becomes that entity's canonical name;
- a keyword whose words are all in a better-ranked keyword ("Trump" after "Donald Trump",
  "pay" after "maternity pay") is dropped, and so is one that is no entity and shares a word
  with a better one ("location chosen" after "symbolic location"), or only a title
  ("President").
YAKE reads the body paragraphs only: title-cased titles and headings look like names to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from importlib.metadata import version

import yake

from services.enrich.wordlists import TITLE_WORDS

TOP_KEYWORDS = 10
# YAKE is pure Python and grows with the text; an article's keywords show in its first pages.
_KEYWORD_CHARS = 20_000
_MAX_NGRAM = 2
_CANDIDATES = TOP_KEYWORDS * 3


@lru_cache(maxsize=1)
def keywords_version() -> str:
    return f"yake-{version('yake')}"


@cache
def _extractor(language: str) -> yake.KeywordExtractor:
    # YAKE falls back to a language-neutral stop-word list for languages it has none for.
    return yake.KeywordExtractor(lan=language, n=_MAX_NGRAM, top=_CANDIDATES)


def _entity_named(keyword: str, names: dict[str, str]) -> str | None:
    """The entity a keyword names: name words plus honorifics or lower-case words only."""
    hits = {names[w] for w in keyword.split() if w in names}
    if len(hits) != 1:
        return None
    (name,) = hits
    others = [w for w in keyword.split() if w not in name.split()]
    if all(w.islower() or w.lower() in TITLE_WORDS for w in others):
        return name
    return None


def extract_keywords(
    text: str, language: str | None, entity_names: Iterable[str] = ()
) -> list[str]:
    """The article's keywords, most relevant first (see the module docstring)."""
    sample = text[:_KEYWORD_CHARS]
    if not sample.strip():
        return []
    # Each word of an entity name points to the name ("Putin" -> "Vladimir Putin"); a word
    # shared by two names ("Trump" in Donald and Melania Trump) points to neither.
    names: dict[str, str] = {}
    shared: set[str] = set()
    for name in entity_names:
        for word in name.split():
            if word[:1].isupper():
                if names.get(word, name) != name:
                    shared.add(word)
                names[word] = name
    for word in shared:
        del names[word]
    keywords: list[str] = []
    word_sets: list[set[str]] = []
    for candidate, _score in _extractor(language or "en").extract_keywords(sample):
        entity = _entity_named(candidate, names)
        keyword = entity or candidate
        words = {w.casefold() for w in keyword.split()}
        if (
            not any(ch.isalpha() for ch in keyword)
            or words <= TITLE_WORDS
            or any(words <= seen or (not entity and words & seen) for seen in word_sets)
        ):
            continue
        keywords.append(keyword)
        word_sets.append(words)
        if len(keywords) == TOP_KEYWORDS:
            break
    return keywords
