"""Which language a short text is in: py3langid (offline, 97 languages, a naive Bayes model
over byte n-grams shipped as a NumPy file), for generated queries and free text.

The confidence is py3langid's normalised probability of the language it picks (0 to 1).
Measured on XNLI dev hypotheses (15 languages): docs/language-id.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

# Varieties py3langid tells apart, as the macrolanguage a generator is asked for (Egyptian
# and Moroccan Arabic, Wu and Cantonese Chinese, Southern Uzbek, Southern Kurdish); ``zxx``
# is its "no linguistic content".
CODES = {"ary": "ar", "arz": "ar", "wuu": "zh", "yue": "zh", "uzs": "uz", "sdh": "ku"}
UNDETERMINED = "und"


class Detected(NamedTuple):
    """A detected language (ISO 639-1) and the detector's confidence in it (0 to 1)."""

    language: str
    confidence: float


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's model, loaded once (about 0.3 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> Detected:
    """The language of ``text`` and the confidence in it; ``und`` (0.0) for text with no
    letters, where any guess would be noise."""
    if not any(char.isalpha() for char in text):
        return Detected(UNDETERMINED, 0.0)
    language, confidence = _identifier().classify(text)
    if language == "zxx":
        return Detected(UNDETERMINED, round(float(confidence), 4))
    return Detected(CODES.get(language, language), round(float(confidence), 4))


def detect_all(texts: Iterable[str]) -> list[Detected]:
    """:func:`detect` of each text, in order."""
    return [detect(text) for text in texts]
