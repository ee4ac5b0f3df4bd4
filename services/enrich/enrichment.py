"""Enrichment of a batch of clean articles: the plain function behind the enrich stage.

One call handles a whole batch: languages are detected together, every body line of every
article of a language goes through one `nlp.pipe`, and the sentences that hold a quotation
go through one more (the parser). Fields, in the dict stored as JSON on the article:
language, language_confidence, entities, quotes, keywords, summary, word_count,
reading_time_min, and `models`: what produced each field, with versions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc, Span

from services.enrich.entities import (
    ArticleEntities,
    Mention,
    canonicalise,
    dateline_mentions,
    headline_mentions,
    mentions_in,
    missed_mentions,
)
from services.enrich.keywords import extract_keywords, keywords_version
from services.enrich.language import DetectedLanguage, detect_languages, detector_version
from services.enrich.models import LanguageModels, models_for
from services.enrich.quotes import (
    Quote,
    SpeakerResolver,
    add_spokespersons,
    attribute,
    attribute_adjacent,
    carry_over,
    find_quotes,
)
from services.enrich.quotes import worth_listing as quote_worth_listing
from services.enrich.segments import ArticleText, Segment, SegmentKind, segment_article
from services.enrich.summary import Sentence, summarize
from services.enrich.wordlists import SPEECH_VERBS
from shared.metrics import ENRICH_STEP_SECONDS, StepClock

__all__ = ["ArticleText", "enrich_texts"]

WORDS_PER_MINUTE = 230
SUMMARY_METHOD = "extractive-lead-centrality-1"
QUOTES_METHOD = "quote-rules-3"
# Bumped with every change of the entity rules (types, names, gazetteers): an index built with
# other rules can be told apart and rebuilt knowingly.
ENTITY_RULES = "entity-rules-3"
# Segments are paragraphs; a batch is padded to its longest doc, so 256 of them took ~370 MB
# more memory than 32 for no gain in speed.
_PIPE_BATCH = 32


@dataclass
class _Article:
    text: ArticleText
    segments: list[Segment]
    language: DetectedLanguage
    models: LanguageModels
    docs: dict[int, Doc]  # segment index -> doc, for body paragraphs
    sentences: list[Sentence] = field(default_factory=list)  # of the docs, once they are read
    entities: ArticleEntities = field(default_factory=lambda: ArticleEntities({}, {}, []))
    quotes: list[Quote] = field(default_factory=list)


def _read(batch: list[_Article]) -> None:
    """Run each language's reader (sentences + NER) over all body paragraphs at once."""
    by_model: dict[str, list[_Article]] = defaultdict(list)
    for article in batch:
        by_model[article.models.language].append(article)
    for articles in by_model.values():
        reader = articles[0].models.reader
        items = [
            (segment.text, (article, j))
            for article in articles
            for j, segment in enumerate(article.segments)
            if segment.kind is SegmentKind.PARAGRAPH
        ]
        for doc, (article, j) in reader.pipe(items, as_tuples=True, batch_size=_PIPE_BATCH):
            article.docs[j] = doc


_LOWERCASE_WORD = re.compile(r"(?<![\w-])[^\W\d_A-Z][^\W\d_]*(?![\w-])")


def _lowercase_words(body: str) -> frozenset[str]:
    """Words the article writes in lower case ("budget"), to tell common nouns from names."""
    return frozenset(w for w in _LOWERCASE_WORD.findall(body) if w.islower())


def _find_entities(article: _Article) -> ArticleEntities:
    mentions: list[Mention] = []
    if article.models.has_ner:
        for j, doc in article.docs.items():
            mentions.extend(mentions_in(doc, j, article.segments[j].start))
    for j, segment in enumerate(article.segments):
        if segment.kind is SegmentKind.DATELINE:
            mentions.extend(dateline_mentions(segment.text, j, segment.start))
    common_words = _lowercase_words(article.text.body)
    entities = canonicalise(mentions, common_words)
    entities.mentions.extend(missed_mentions(entities, article.text.body, common_words))
    for j, segment in enumerate(article.segments):
        if segment.is_headline:
            entities.mentions.extend(headline_mentions(entities, segment.text, j, segment.start))
    return entities


def _find_quotes(article: _Article) -> list[Quote]:
    quotes: list[Quote] = []
    previous_paragraph = -1
    for j, segment in enumerate(article.segments):
        if segment.kind is not SegmentKind.PARAGRAPH or segment.start is None:
            continue
        opens = segment.paragraph != previous_paragraph
        previous_paragraph = segment.paragraph
        quotes.extend(find_quotes(segment.text, segment.start, j, segment.paragraph, opens))
    return quotes


def _windows(article: _Article) -> list[tuple[int, str]]:
    """(body offset, text) of the runs of sentences that hold a quotation, to be parsed."""
    spans: list[tuple[int, int]] = []
    sentences_of: dict[int, list[Span]] = {}
    for quote in article.quotes:
        if quote.speaker:  # settled without a parse
            continue
        segment = article.segments[quote.segment]
        base = segment.start or 0
        sentences = sentences_of.setdefault(quote.segment, list(article.docs[quote.segment].sents))
        touching = [
            i
            for i, s in enumerate(sentences)
            if base + s.start_char < quote.outer_end and quote.outer_start < base + s.end_char
        ]
        if not touching:
            continue
        first, last = touching[0], touching[-1]
        outside = (
            t
            for i in touching
            for t in sentences[i]
            if not quote.outer_start <= base + t.idx < quote.outer_end
        )
        # Without a speech verb of its own, the attribution may sit in the next sentence (the
        # splitter cut after the quote) or the previous one ("She added: ..."). Parsing only
        # what may hold it keeps the parser's share of the stage small.
        if not any(t.lower_ in SPEECH_VERBS for t in outside):
            if last + 1 < len(sentences) and quote.outer_end >= base + sentences[last].end_char - 2:
                last += 1
            if first > 0 and quote.outer_start <= base + sentences[first].start_char + 1:
                first -= 1
        spans.append((base + sentences[first].start_char, base + sentences[last].end_char))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(start, article.text.body[start:end]) for start, end in merged]


def _attribute_quotes(batch: list[_Article]) -> None:
    """Find the speakers: next to the marks first, else from a parse of the quotation's
    sentences (per language, in one pipe), else from the neighbouring quotations."""
    by_model: dict[str, list[_Article]] = defaultdict(list)
    resolvers: dict[int, SpeakerResolver] = {}
    for article in batch:
        resolver = resolvers[id(article)] = SpeakerResolver(
            article.entities,
            article.quotes,
            article.text.body,
            (s.start for s in article.sentences),
        )
        if article.quotes:
            for j, doc in article.docs.items():
                add_spokespersons(doc, article.segments[j].start or 0, resolver)
        for quote in article.quotes:
            doc = article.docs[quote.segment]
            attribute_adjacent(
                quote, doc, article.segments[quote.segment].start or 0, article.quotes, resolver
            )
        if any(not q.speaker for q in article.quotes) and article.models.parser is not None:
            by_model[article.models.language].append(article)
    for articles in by_model.values():
        parser = articles[0].models.parser
        if parser is None:  # grouped above by languages that have one
            continue
        items = [
            (text, (article, offset)) for article in articles for offset, text in _windows(article)
        ]
        parsed: dict[int, list[tuple[int, Doc]]] = defaultdict(list)
        for doc, (article, offset) in parser.pipe(items, as_tuples=True, batch_size=_PIPE_BATCH):
            parsed[id(article)].append((offset, doc))
        for article in articles:
            resolver = resolvers[id(article)]
            windows = parsed[id(article)]
            for quote in article.quotes:
                if quote.speaker:
                    continue
                for offset, doc in windows:
                    if offset <= quote.outer_start < offset + len(doc.text):
                        attribute(quote, doc, offset, article.quotes, resolver)
                        break
    for article in batch:
        carry_over(article.quotes)


def _sentences(article: _Article) -> list[Sentence]:
    sentences = []
    for j in sorted(article.docs):
        base = article.segments[j].start or 0
        for sent in article.docs[j].sents:
            if sent.text.strip():
                sentences.append(Sentence(sent.text, base + sent.start_char, base + sent.end_char))
    return sentences


def _models_used(models: LanguageModels) -> dict[str, str]:
    no_model = f"none: no spaCy model installed for {models.language!r}"
    sentences = models.model or f"spacy-{models.language}-sentencizer"
    return {
        "language": detector_version(),
        "entities": f"{models.model}+{ENTITY_RULES}"
        if models.model and models.has_ner
        else no_model,
        "quotes": f"{QUOTES_METHOD}+{models.model}" if models.parser else QUOTES_METHOD,
        "keywords": keywords_version(models.model if models.has_tags else None),
        "summary": f"{SUMMARY_METHOD}+{sentences}",
    }


def _result(article: _Article, clock: StepClock) -> dict[str, Any]:
    entities = article.entities.to_json()
    with clock.step("keywords"):
        keywords = extract_keywords(
            [article.docs[j] for j in sorted(article.docs)],
            [(e["name"], e["mentions"]) for e in entities],
            article.text.title,
            article.language.code,
        )
    body_mentions = [(m.start, m.name) for m in article.entities.mentions if m.start is not None]
    words = len(article.text.body.split())
    with clock.step("summary"):
        summary = summarize(article.sentences, keywords, body_mentions)
    return {
        "language": article.language.code,
        "language_confidence": article.language.confidence,
        "entities": entities,
        "quotes": [
            {"text": q.text, "speaker": q.speaker, "offset": q.start}
            for q in article.quotes
            if quote_worth_listing(q)
        ],
        "keywords": keywords,
        "summary": summary,
        "word_count": words,
        "reading_time_min": max(1, round(words / WORDS_PER_MINUTE)) if words else 0,
        "models": _models_used(article.models),
    }


def enrich_texts(articles: list[ArticleText]) -> list[dict[str, Any]]:
    """One enrichment dict per article, computed in one batch (see the module docstring)."""
    if not articles:
        return []
    clock = StepClock()
    with clock.step("language"):
        languages = detect_languages([f"{a.title or ''}\n\n{a.body}" for a in articles])
    batch = [
        _Article(text, segment_article(text), language, models_for(language.code), {})
        for text, language in zip(articles, languages, strict=True)
    ]
    with clock.step("entities"):  # the reader pipe finds sentences and entities together
        _read(batch)
        for article in batch:
            article.sentences = _sentences(article)
            article.entities = _find_entities(article)
    with clock.step("quotes"):
        for article in batch:
            article.quotes = _find_quotes(article)
        _attribute_quotes(batch)
    results = [_result(article, clock) for article in batch]
    clock.observe(ENRICH_STEP_SECONDS)
    return results
