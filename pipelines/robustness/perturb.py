"""Query perturbations for robustness tests: seeded, strength-controlled, script-aware.

Every attack maps (text, strength, rng) to a new text; strength 0 is the identity. Text is
handled in *clusters*: a base character with the combining marks that follow it (Thai tone
marks, Devanagari viramas and vowel signs, Arabic harakat), so that no edit ever separates a
mark from its letter. Scripts written without spaces (Chinese, Japanese, Thai) have no words
to pick from; there a "word" is a pseudo-word of ``SPACELESS_WORD`` clusters.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

Attack = Callable[[str, float, random.Random], str]

MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})
NO_SPACE_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER"})
STRIPPABLE_SCRIPTS = frozenset({"LATIN", "GREEK", "CYRILLIC"})
# The short vowels, tanwin, shadda and sukun (and the rarer Quranic marks): not hamza above
# or below (U+0654, U+0655) nor maddah (U+0653), which are part of letters such as أ, إ, آ.
ARABIC_HARAKAT = frozenset(chr(c) for c in [*range(0x064B, 0x0653), *range(0x0656, 0x0660), 0x0670])
NOISE_PUNCTUATION = ".,;:!?-'\""
# Chinese words average about 1.5 characters, Thai words about 3 clusters.
SPACELESS_WORD = 2


def clusters(text: str) -> list[str]:
    """Base characters with their combining marks attached."""
    found: list[str] = []
    for char in text:
        if found and unicodedata.category(char) in MARK_CATEGORIES:
            found[-1] += char
        else:
            found.append(char)
    return found


def script(char: str) -> str:
    """The first word of a character's Unicode name (LATIN, THAI, CJK, ...)."""
    return unicodedata.name(char, "UNKNOWN").split(" ")[0]


def is_spaceless(text: str) -> bool:
    """True when most letters belong to scripts written without spaces between words."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(script(c) in NO_SPACE_SCRIPTS for c in letters) * 2 > len(letters)


def words(text: str) -> tuple[list[str], str]:
    """The text's words and the separator that joins them back into the text."""
    if not is_spaceless(text):
        return text.split(" "), " "
    units = clusters(text)
    return [
        "".join(units[i : i + SPACELESS_WORD]) for i in range(0, len(units), SPACELESS_WORD)
    ], ""


def char_noise(text: str, strength: float, rng: random.Random) -> str:
    """Insert, delete, swap or substitute one cluster in a share ``strength`` of the words.

    Inserted and substituted clusters come from the text itself, so they are in its script.
    """
    if strength <= 0:
        return text
    inventory = [c for c in clusters(text) if not c.isspace()]
    units, separator = words(text)
    return separator.join(
        "".join(_edit(clusters(w), inventory, rng)) if w.strip() and rng.random() < strength else w
        for w in units
    )


def _edit(units: list[str], inventory: list[str], rng: random.Random) -> list[str]:
    operation = rng.choice(("insert", "delete", "swap", "substitute"))
    at = rng.randrange(len(units))
    if operation == "insert":
        units.insert(at, rng.choice(inventory))
    elif operation == "delete" and len(units) > 1:
        del units[at]
    elif operation == "swap" and len(units) > 1:
        other = at + 1 if at + 1 < len(units) else at - 1
        units[at], units[other] = units[other], units[at]
    else:
        units[at] = rng.choice(inventory)
    return units


def strip_diacritics(text: str, strength: float, rng: random.Random) -> str:
    """Drop optional diacritics (Latin, Greek, Cyrillic accents; Arabic harakat) and case in
    a share ``strength`` of the words. Marks that are vowels (Indic, Thai scripts) stay."""
    if strength <= 0:
        return text
    return " ".join(_strip_word(w) if rng.random() < strength else w for w in text.split(" "))


def _strip_word(word: str) -> str:
    kept, stripped = [], False
    for cluster in clusters(unicodedata.normalize("NFD", word)):
        base, marks = cluster[0], cluster[1:]
        left = "" if script(base) in STRIPPABLE_SCRIPTS else marks
        left = "".join(m for m in left if m not in ARABIC_HARAKAT)
        stripped |= left != marks
        kept.append(base + left)
    # A word that lost no mark keeps its own code points (NFD then NFC would turn a
    # precomposed Devanagari nukta letter into letter + nukta: the same text, other bytes).
    return unicodedata.normalize("NFC", "".join(kept)).lower() if stripped else word.lower()


def punctuation_noise(text: str, strength: float, rng: random.Random) -> str:
    """Drop each punctuation mark with probability ``strength``; at the same share of the
    gaps between words, remove the space, double it, or insert a punctuation mark. Between
    the pseudo-words of a spaceless script, a gap gets a space or a mark."""
    if strength <= 0:
        return text
    kept = "".join(
        c for c in text if not (unicodedata.category(c).startswith("P") and rng.random() < strength)
    )
    parts, separator = words(kept)
    out = parts[:1]
    for part in parts[1:]:
        gap = separator
        if rng.random() < strength:
            mark = rng.choice(NOISE_PUNCTUATION)
            gap = rng.choice(("", "  ", mark + " ") if separator else (" ", mark))
        out.append(gap + part)
    return "".join(out)


def shuffle_words(text: str, strength: float, rng: random.Random, window: int = 3) -> str:
    """Shuffle the words inside a share ``strength`` of the consecutive windows of
    ``window`` words."""
    if strength <= 0:
        return text
    units, separator = words(text)
    for start in range(0, len(units), window):
        if rng.random() < strength:
            chunk = units[start : start + window]
            rng.shuffle(chunk)
            units[start : start + window] = chunk
    return separator.join(units)


def aligned(position: int, length: int, other_length: int) -> int:
    """The word of a parallel sentence of ``other_length`` words aligned with word
    ``position`` of ``length``: the diagonal, floor(i * (m - 1) / (n - 1) + 1/2)."""
    return math.floor(position * (other_length - 1) / max(length - 1, 1) + 0.5)


def code_switch(text: str, english: str, strength: float, rng: random.Random) -> str:
    """Replace a share ``strength`` of the words by the English word at the aligned position.

    XNLI is parallel, so the English sentence is known; with no word aligner offline, word i
    of n aligns with English word floor(i * (m - 1) / (n - 1) + 1/2) of m (the diagonal, the
    usual baseline alignment). Neighbours aligned with the same English word get it once
    (pseudo-words of a spaceless script often outnumber the English words). English words
    inside a spaceless sentence get spaces around them. A text none of whose words changes
    comes back as it was.
    """
    targets = english.split()
    if strength <= 0 or not targets:
        return text
    units, separator = (text.split(), " ") if not is_spaceless(text) else words(text)
    switched, previous = [], None
    for i, unit in enumerate(units):
        target = aligned(i, len(units), len(targets))
        if unit.strip() and rng.random() < strength:
            switched.append("" if target == previous else f" {targets[target]} ")
            previous = target
        else:
            switched.append(unit)
            previous = None
    result = " ".join(separator.join(switched).split())
    return text if result == " ".join(separator.join(units).split()) else result


ATTACKS: dict[str, Attack] = {
    "char-noise": char_noise,
    "diacritics": strip_diacritics,
    "punctuation": punctuation_noise,
    "shuffle": shuffle_words,
}
ATTACK_NAMES = (*ATTACKS, "code-switch")


@dataclass(frozen=True)
class Perturbation:
    """One attack at one strength with one seed."""

    attack: str
    strength: float
    seed: int = 0

    def apply(self, text: str, key: str, english: str = "") -> str:
        """Perturb one query; ``key`` (its id) makes the randomness independent of order."""
        rng = random.Random(f"{self.seed}:{self.attack}:{self.strength}:{key}")
        if self.attack == "code-switch":
            return code_switch(text, english, self.strength, rng)
        return ATTACKS[self.attack](text, self.strength, rng)
