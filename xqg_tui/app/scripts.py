"""A guess of a query's language, for ``auto`` on the Search screen: the offline detector
(py3langid) when it is confident enough, else the script when only one of the usual xQG and
XQuAD languages writes it; else unknown rather than guessed wrong.
"""

from __future__ import annotations

from collections import Counter

# (first code point, last code point, language), checked in order.
SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0600, 0x06FF, "ar"),
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x04FF, "ru"),
    (0x0590, 0x05FF, "he"),
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0C00, 0x0C7F, "te"),
    (0x0E00, 0x0E7F, "th"),
    (0xAC00, 0xD7AF, "ko"),
    (0x1100, 0x11FF, "ko"),
    (0x3040, 0x30FF, "ja"),
    (0x4E00, 0x9FFF, "zh"),
)


# Below this confidence the detector's answer for a few words is noise ("Who?": 0.02).
MIN_CONFIDENCE = 0.3


def detect_query_language(text: str) -> str | None:
    """The language of free text: the detector's when it is at least ``MIN_CONFIDENCE``
    sure, else the script's (:func:`guess_language`), else None."""
    from pipelines.language_id import UNDETERMINED, detect

    found = detect(text)
    if found.language != UNDETERMINED and found.confidence >= MIN_CONFIDENCE:
        return found.language
    return guess_language(text)


def guess_language(text: str) -> str | None:
    """The language whose script most letters of ``text`` use, or None.

    Japanese mixes kana with Chinese characters, so any kana means Japanese.
    """
    counts: Counter[str] = Counter()
    for char in text:
        point = ord(char)
        for first, last, language in SCRIPTS:
            if first <= point <= last:
                counts[language] += 1
                break
    if not counts:
        return None
    if counts["ja"]:
        return "ja"
    return counts.most_common(1)[0][0]
