"""A short extractive summary: the lead sentence plus the most central others.

News puts the gist first, so the first full sentence always opens the summary (the "lead"
baseline is hard to beat on news). The other sentences are ranked by how many of the article's
keywords and frequent entities they hold per word, with a bonus that fades with position, and
skipped when they repeat a sentence already picked. Sentences come out in article order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

_MIN_WORDS = 6
_MAX_WORDS = 60
_LONG_ARTICLE_SENTENCES = 8  # from this many candidate sentences on, three sentences, else two
_MAX_OVERLAP = 0.5
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the body
    end: int


def _eligible(text: str) -> bool:
    words = len(text.split())
    stripped = text.rstrip("\"'”’») ")  # noqa: RUF001 - typographic marks
    balanced = text.count("“") == text.count("”") and text.count('"') % 2 == 0
    return _MIN_WORDS <= words <= _MAX_WORDS and balanced and stripped[-1:] in (".", "!", "?")


def summarize(
    sentences: list[Sentence],
    keywords: list[str],
    entity_mentions: list[tuple[int, str]],  # (body offset, canonical name)
) -> str:
    candidates = [s for s in sentences if _eligible(s.text)]
    if not candidates:  # short or unusual text: its first sentences are the best we have
        return " ".join(s.text.strip() for s in sentences[:2])
    size = 3 if len(candidates) >= _LONG_ARTICLE_SENTENCES else 2
    counts = Counter(name for _, name in entity_mentions)
    keyword_weights = {
        k.casefold(): (len(keywords) - rank) / len(keywords) for rank, k in enumerate(keywords)
    }

    def score(position: int, sentence: Sentence) -> float:
        lowered = sentence.text.casefold()
        centrality = sum(w for k, w in keyword_weights.items() if k in lowered)
        names = {n for offset, n in entity_mentions if sentence.start <= offset < sentence.end}
        centrality += sum(math.log1p(counts[n]) for n in names)
        density = centrality / math.sqrt(len(sentence.text.split()))
        return density * (1 + 1 / (1 + position))

    picked = [candidates[0]]
    ranked = sorted(enumerate(candidates[1:], start=1), key=lambda item: score(*item), reverse=True)
    for _, sentence in ranked:
        if len(picked) == size:
            break
        words = set(_WORD.findall(sentence.text.casefold()))
        if all(
            len(words & (other := set(_WORD.findall(p.text.casefold()))))
            / max(1, len(words | other))
            <= _MAX_OVERLAP
            for p in picked
        ):
            picked.append(sentence)
    return " ".join(s.text.strip() for s in sorted(picked, key=lambda s: s.start))
