"""Entity, quote and keyword quality against hand annotations, next to raw spaCy in one run.

    .venv/bin/python tests/bench/entity_quality.py /work/shared/corpus/bbc \
        /work/shared/corpus/bbc-annotated [--only business,tech] [--errors]

Each annotation file (`<category>-<NNN>.json`, see the annotated corpus's README) names its
article (`"file": "bbc/politics/396.txt"`, read under CORPUS or its parent, in place) and lists
persons, organizations and places (canonical name + surface forms), other names (not counted)
and quotes (first words + speaker). Two systems read the same extracted articles:
- newsflow: `enrich_texts`, what the enrich stage stores;
- raw spaCy: the full English model as shipped over title + body, entities by label (PERSON;
  ORG; GPE, LOC, FAC), quotations between double marks with the nearest PERSON entity of the
  paragraph as speaker, and the ten commonest noun chunks as keywords.

Scores, summed over articles (article level: each distinct name once per article):
- entities, per type and overall (micro): a predicted name is right when, after
  `shared.names.canonical_name`, it is the annotated canonical name or one of its surface forms,
  or the surname of an annotated person (a surname alone counts as the article's full name);
  precision over predicted names, recall over annotated entities;
- quotes: recall (an annotated quote is found when a predicted quotation starts with its first
  words) and speaker accuracy over the found ones (the right entity, or no speaker when the
  annotation has none);
- keyword sanity: share of keywords that are a name of the article (found by spaCy or by the
  system) or a noun phrase, judged on a full parse of the article (an occurrence whose tags
  are adjectives and nouns ending in a noun).
`--only CATEGORIES` restricts to some categories (develop on some, check on the others).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from services.cli.extract_commands import extract_item
from services.enrich.enrichment import ArticleText, enrich_texts
from services.enrich.models import resolve_model
from services.ingest.files import iter_inputs
from shared.names import canonical_name, surname

TYPES = ("person", "organization", "place")
_ANNOTATION_KEYS = {"person": "persons", "organization": "organizations", "place": "places"}
_SPACY_TYPES = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
_WORD = re.compile(r"\w+")
_QUOTE = re.compile(r"[\"“]([^\"”]+)[\"”]?")
_NOUNISH = frozenset({"NOUN", "PROPN", "ADJ", "NUM"})


def _key(name: str) -> str:
    """Names compared without case, punctuation or a leading "the" ("The Beatles")."""
    words = _WORD.findall(name.casefold())
    return " ".join(words[1:] if words[:1] == ["the"] and len(words) > 1 else words)


@dataclass
class Annotated:
    name: str
    category: str
    text: ArticleText
    entities: dict[str, list[set[str]]]  # type -> one set of accepted keys per entity
    quotes: list[tuple[str, set[str] | None]]  # (first words key, accepted speaker keys)


@dataclass
class Prediction:
    entities: dict[str, set[str]]  # type -> predicted names
    quotes: list[tuple[str, str | None]]  # (text, speaker)
    keywords: list[str]


@dataclass
class Score:
    tp: Counter[str] = field(default_factory=Counter)  # per type: right predicted names
    predicted: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)  # annotated entities found
    annotated: Counter[str] = field(default_factory=Counter)
    quotes: int = 0
    quotes_found: int = 0
    speakers_right: int = 0
    keywords: int = 0
    keywords_sane: int = 0
    errors: list[str] = field(default_factory=list)


def _accepted(kind: str, entity: dict[str, Any]) -> set[str]:
    names = [entity["name"], *entity.get("mentions", [])]
    keys = {_key(canonical_name(kind, n)) for n in names}  # type: ignore[arg-type]
    if kind == "person" and (family := surname(entity["name"])):
        keys.add(_key(family))
    return keys - {""}


def _article_text(path: Path) -> ArticleText:
    """The article as the pipeline reads it (decoding and extraction of `newsflow extract`)."""
    (item,) = iter_inputs([path])
    record = extract_item(item)
    return ArticleText(
        record["title"], record["body"], record["headings"] or [], record["dateline"]
    )


def load(corpus: Path, annotations: Path, only: set[str] | None) -> list[Annotated]:
    articles = []
    for path in sorted(annotations.glob("*.json")):
        category = path.stem.rsplit("-", 1)[0]
        if only and category not in only:
            continue
        data = json.loads(path.read_text())
        relative = Path(data["file"])
        source = corpus / Path(*relative.parts[1:])
        if not source.exists():
            source = corpus.parent / relative
        speakers: dict[str, set[str]] = {}
        entities: dict[str, list[set[str]]] = {}
        for kind in TYPES:
            entities[kind] = []
            for entity in data.get(_ANNOTATION_KEYS[kind], []):
                accepted = _accepted(kind, entity)
                entities[kind].append(accepted)
                speakers[entity["name"]] = accepted
        quotes = [
            (
                _key(q["text"]),
                None if q["speaker"] is None else speakers.get(q["speaker"], {_key(q["speaker"])}),
            )
            for q in data.get("quotes", [])
        ]
        articles.append(Annotated(path.stem, category, _article_text(source), entities, quotes))
    return articles


def _noun_phrase(keyword: str, doc: Doc) -> bool:
    """Whether some occurrence of `keyword` in `doc` is tagged as a noun phrase: nouns,
    proper nouns, adjectives and numbers, joined by prepositions or "and", ending in a noun."""
    words = _WORD.findall(keyword.casefold())
    if not words:
        return False
    tagged = [(w, t.pos_) for t in doc for w in _WORD.findall(t.text.casefold())]
    for i in range(len(tagged) - len(words) + 1):
        span = tagged[i : i + len(words)]
        if [w for w, _ in span] != words:
            continue
        tags = [p for _, p in span]
        if all(p in _NOUNISH or p in ("ADP", "CCONJ", "PART", "DET") for p in tags[1:-1]) and (
            tags[0] in _NOUNISH and tags[-1] in ("NOUN", "PROPN")
        ):
            return True
    return False


def score(
    articles: list[Annotated],
    predictions: list[Prediction],
    parses: list[Doc],
    verbose: bool,
) -> Score:
    s = Score()
    for article, predicted, doc in zip(articles, predictions, parses, strict=True):
        names = {_key(e.text) for e in doc.ents} | {
            _key(name) for kind in TYPES for name in predicted.entities[kind]
        }
        for kind in TYPES:
            gold = article.entities[kind]
            found: set[int] = set()
            for name in predicted.entities[kind]:
                key = _key(canonical_name(kind, name))  # type: ignore[arg-type]
                hits = [i for i, accepted in enumerate(gold) if key in accepted]
                s.predicted[kind] += 1
                if hits:
                    s.tp[kind] += 1
                    found.update(hits)
                else:
                    s.errors.append(f"{article.name}: extra {kind} {name!r}")
            s.found[kind] += len(found)
            s.annotated[kind] += len(gold)
            for i, accepted in enumerate(gold):
                if i not in found:
                    s.errors.append(f"{article.name}: missed {kind} {sorted(accepted)[0]!r}")
        got = [(_key(text), speaker) for text, speaker in predicted.quotes]
        for first_words, speakers in article.quotes:
            s.quotes += 1
            match = next(
                (g for g in got if g[0].startswith(first_words) or first_words.startswith(g[0])),
                None,
            )
            if match is None:
                s.errors.append(f"{article.name}: missed quote {first_words[:40]!r}")
                continue
            s.quotes_found += 1
            speaker = match[1]
            right = (
                speaker is None
                if speakers is None
                else speaker is not None
                and (_key(speaker) in speakers or _key(surname(speaker) or "") in speakers)
            )
            s.speakers_right += right
            if not right:
                s.errors.append(
                    f"{article.name}: quote {first_words[:30]!r} speaker {speaker!r}, "
                    f"expected {sorted(speakers or {'none'})[0]!r}"
                )
        for keyword in predicted.keywords:
            s.keywords += 1
            sane = _key(keyword) in names or _noun_phrase(keyword, doc)
            s.keywords_sane += sane
            if not sane:
                s.errors.append(f"{article.name}: keyword {keyword!r} is no noun phrase")
    if verbose:
        print("\n".join(sorted(s.errors, key=_error_class)), file=sys.stderr)
    return s


def _error_class(error: str) -> tuple[str, str]:
    """Errors grouped by class ("extra person", "missed place", "quote ... speaker"), then
    by article: fixing a class is what generalises, not fixing an article."""
    article, what = error.split(": ", 1)
    words = what.split()
    kind = " ".join(words[:2]) if words[0] in ("extra", "missed") else words[0]
    return kind, article


def newsflow(articles: list[Annotated]) -> list[Prediction]:
    out = []
    for result in enrich_texts([a.text for a in articles]):
        entities: dict[str, set[str]] = {kind: set() for kind in TYPES}
        for entity in result["entities"]:
            if entity["type"] in entities:
                entities[entity["type"]].add(entity["name"])
        quotes = [(q["text"], q["speaker"]) for q in result["quotes"]]
        out.append(Prediction(entities, quotes, result["keywords"]))
    return out


def raw_spacy(nlp: Language, articles: list[Annotated]) -> tuple[list[Prediction], list[Doc]]:
    texts = [f"{a.text.title}\n\n{a.text.body}" if a.text.title else a.text.body for a in articles]
    docs = list(nlp.pipe(texts))
    out = []
    for doc in docs:
        entities: dict[str, set[str]] = {kind: set() for kind in TYPES}
        persons = []
        for ent in doc.ents:
            kind = _SPACY_TYPES.get(ent.label_)
            if kind:
                entities[kind].add(ent.text)
            if kind == "person":
                persons.append(ent)
        quotes = []
        for match in _QUOTE.finditer(doc.text):
            line_start = doc.text.rfind("\n", 0, match.start()) + 1
            line_end = doc.text.find("\n", match.end())
            line_end = len(doc.text) if line_end < 0 else line_end
            near = [
                p
                for p in persons
                if line_start <= p.start_char < line_end
                and not match.start() <= p.start_char < match.end()
            ]
            speaker = (
                min(near, key=lambda p: abs(p.start_char - match.start())).text if near else None
            )
            quotes.append((match.group(1), speaker))
        chunks = Counter(c.text for c in doc.noun_chunks if not c.root.is_stop)
        out.append(Prediction(entities, quotes, [c for c, _ in chunks.most_common(10)]))
    return out, docs


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def table(scores: dict[str, Score]) -> str:
    systems = list(scores)
    lines = [
        "| measure | " + " | ".join(systems) + " |",
        "| --- | " + " | ".join("---:" for _ in systems) + " |",
    ]

    def row(label: str, values: list[float]) -> None:
        lines.append(f"| {label} | " + " | ".join(f"{v:.3f}" for v in values) + " |")

    for kind in TYPES:
        ps = [_ratio(s.tp[kind], s.predicted[kind]) for s in scores.values()]
        rs = [_ratio(s.found[kind], s.annotated[kind]) for s in scores.values()]
        row(f"{kind} precision", ps)
        row(f"{kind} recall", rs)
        row(f"{kind} F1", [_f1(p, r) for p, r in zip(ps, rs, strict=True)])
    overall = []
    for s in scores.values():
        p = _ratio(sum(s.tp.values()), sum(s.predicted.values()))
        r = _ratio(sum(s.found.values()), sum(s.annotated.values()))
        overall.append(_f1(p, r))
    row("entities F1 (micro)", overall)
    row("quote recall", [_ratio(s.quotes_found, s.quotes) for s in scores.values()])
    row("speaker accuracy", [_ratio(s.speakers_right, s.quotes_found) for s in scores.values()])
    row("keyword sanity", [_ratio(s.keywords_sane, s.keywords) for s in scores.values()])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the BBC corpus (the annotated files' source)")
    parser.add_argument("annotations", type=Path, help="the folder of annotation JSON files")
    parser.add_argument("--only", default="", help="comma-separated categories to score")
    parser.add_argument(
        "-v",
        "--verbose",
        "--errors",
        action="store_true",
        help="list every error on stderr, by class: extra/missed names per type, quotes missed, "
        "wrong speakers, keywords that are no noun phrase",
    )
    args = parser.parse_args()
    only = {c for c in args.only.split(",") if c} or None
    articles = load(args.corpus, args.annotations, only)
    if not articles:
        sys.exit(f"no annotated articles under {args.annotations}")
    package = resolve_model("en")
    if package is None:
        sys.exit("no English spaCy model installed")
    nlp = spacy.load(package)
    started = time.perf_counter()
    ours = newsflow(articles)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    baseline, parses = raw_spacy(nlp, articles)
    raw_s = time.perf_counter() - started
    scores = {
        "newsflow": score(articles, ours, parses, args.verbose),
        f"raw spaCy ({package})": score(articles, baseline, parses, False),
    }
    categories = ", ".join(sorted({a.category for a in articles}))
    print(
        f"{len(articles)} annotated articles ({categories}); newsflow {ours_s:.1f} s "
        f"(models loading included), raw spaCy {raw_s:.1f} s"
    )
    print(table(scores))


if __name__ == "__main__":
    main()
