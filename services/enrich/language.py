"""Language detection (ISO 639-1 with confidence), loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

from lingua import LanguageDetector, LanguageDetectorBuilder

# Enough text to be sure (lingua is reliable on a sentence), short enough to stay fast: the
# cost grows with the sample and 3,000 chars took 10% of the enrich stage.
_SAMPLE_CHARS = 1500


@dataclass(frozen=True)
class DetectedLanguage:
    code: str | None
    confidence: float


@lru_cache(maxsize=1)
def detector_version() -> str:
    return f"lingua-{version('lingua-language-detector')}"


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()


def detect_language(text: str) -> DetectedLanguage:
    sample = text[:_SAMPLE_CHARS]
    values = detector().compute_language_confidence_values(sample) if sample.strip() else []
    if not values:
        return DetectedLanguage(None, 0.0)
    best = values[0]
    return DetectedLanguage(best.language.iso_code_639_1.name.lower(), round(best.value, 4))


def detect_languages(texts: list[str]) -> list[DetectedLanguage]:
    """`detect_language` for a batch, spread over lingua's own threads."""
    samples = [t[:_SAMPLE_CHARS] for t in texts]
    filled = [i for i, s in enumerate(samples) if s.strip()]
    results = [DetectedLanguage(None, 0.0)] * len(texts)
    batch = detector().compute_language_confidence_values_in_parallel([samples[i] for i in filled])
    for i, values in zip(filled, batch, strict=True):
        if values:
            best = values[0]
            code = best.language.iso_code_639_1.name.lower()
            results[i] = DetectedLanguage(code, round(best.value, 4))
    return results
