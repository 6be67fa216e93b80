"""Perturbations: identity at strength 0, seeded, and never tearing a mark from its letter."""

from __future__ import annotations

import random

import pytest

from pipelines.robustness.perturb import (
    ATTACK_NAMES,
    Perturbation,
    char_noise,
    clusters,
    code_switch,
    is_spaceless,
    punctuation_noise,
    shuffle_words,
    strip_diacritics,
    words,
)

# Real XNLI dev premises (promptID 1) in five scripts, and the English one.
SENTENCES = {
    "de": "Und er hat gesagt: Mama, ich bin daheim.",
    "hi": "और उसने कहा, माँ, मैं घर आया हूं।",
    "th": "และเขาพูดว่า, ม่าม๊า ผมอยู่บ้าน",
    "zh": "他说，妈妈，我回来了。",
    "ar": "وقال، ماما، لقد عدت للمنزل.",
}
ENGLISH = "And he said, Mama, I'm home."


def test_clusters_keep_marks_on_their_letters() -> None:
    assert clusters("ม่าม๊า") == ["ม่", "า", "ม๊", "า"]
    assert clusters("माँ") == ["माँ"]
    assert clusters("قَالَ") == ["قَ", "ا", "لَ"]


def test_spaceless_scripts_get_pseudo_words() -> None:
    assert is_spaceless(SENTENCES["zh"]) and is_spaceless(SENTENCES["th"])
    assert not is_spaceless(SENTENCES["hi"]) and not is_spaceless(SENTENCES["ar"])
    assert words("他说妈妈") == (["他说", "妈妈"], "")
    assert words("Mama, ich")[0] == ["Mama,", "ich"]


@pytest.mark.parametrize("attack", ATTACK_NAMES)
@pytest.mark.parametrize("language", list(SENTENCES))
def test_strength_zero_is_the_identity(attack: str, language: str) -> None:
    assert (
        Perturbation(attack, 0.0, 7).apply(SENTENCES[language], "q1", ENGLISH)
        == (SENTENCES[language])
    )


@pytest.mark.parametrize("attack", ATTACK_NAMES)
def test_same_seed_and_key_give_the_same_text(attack: str) -> None:
    one = Perturbation(attack, 0.5, 3)
    texts = [one.apply(SENTENCES["de"], f"q{i}", ENGLISH) for i in range(30)]
    assert texts == [one.apply(SENTENCES["de"], f"q{i}", ENGLISH) for i in range(30)]
    assert len(set(texts)) > 1  # the key changes the draw


@pytest.mark.parametrize("language", list(SENTENCES))
def test_char_noise_only_reuses_whole_clusters_of_the_text(language: str) -> None:
    text = SENTENCES[language]
    inventory = set(clusters(text))
    for seed in range(40):
        noisy = char_noise(text, 0.6, random.Random(seed))
        assert set(clusters(noisy)) <= inventory
    changed = sum(char_noise(text, 0.6, random.Random(s)) != text for s in range(40))
    assert changed >= 35


@pytest.mark.parametrize(
    ("language", "noisy", "shuffled"),
    [
        # और -> औसर (inserts स, from उसने), उसने -> उरने (स -> र), माँ, -> माँआ, (inserts
        # आ, from आया), हूं। -> । (deletes हूं); windows of 3 words each shuffled.
        ("hi", "औसर उरने कहा, माँआ, मैं घर आया ।", "कहा, उसने और माँ, घर मैं हूं। आया"),
        # وقال -> وقلال (inserts ل), ماما -> مامز (ا -> ز, from للمنزل), لقد -> قد (deletes
        # ل), عدت -> عنت (د -> ن, from للمنزل).
        ("ar", "وقلال، مامز، قد عنت للمنزل.", "لقد ماما، وقال، عدت للمنزل."),
        # Spaceless: edits and windows work on two-character pseudo-words.
        ("zh", "他说说，。，我了来了妈", "妈，，妈他说我回。来了"),
        # Thai tone marks and vowel signs stay on their consonants (ม่, ม๊, ยู่, บ้).
        ("th", "แเละาาพูบ้ว่า,ดม่าาม๊ นผมอยู่อน", "ขาะเแลพูด, ว่าม๊า ผม่ามอานยู่บ้"),
    ],
)
def test_char_noise_and_shuffle_per_script_with_a_fixed_seed(
    language: str, noisy: str, shuffled: str
) -> None:
    text = SENTENCES[language]
    assert char_noise(text, 0.5, random.Random(1)) == noisy
    assert shuffle_words(text, 1.0, random.Random(1)) == shuffled
    assert sorted(clusters(shuffled)) == sorted(clusters(text))  # only moved, never torn


def test_char_noise_edits_one_cluster_per_chosen_word() -> None:
    # Strength 1 edits every word once: each word changes length by at most one cluster.
    text = "Mama ich bin daheim"
    noisy = char_noise(text, 1.0, random.Random(0)).split(" ")
    assert len(noisy) == 4
    assert all(abs(len(a) - len(b)) <= 1 for a, b in zip(noisy, text.split(" "), strict=True))


def test_diacritics_and_case_go_but_vowel_signs_stay() -> None:
    rng = random.Random(0)
    assert strip_diacritics("Việt Nam có nhiều Đảo", 1.0, rng) == "viet nam co nhieu đao"
    assert strip_diacritics("Ελληνικά ΆΛΦΑ", 1.0, rng) == "ελληνικα αλφα"
    assert strip_diacritics("قَالَ لَهُ", 1.0, rng) == "قال له"
    assert strip_diacritics(SENTENCES["hi"], 1.0, rng) == SENTENCES["hi"]
    # Hamza and maddah are parts of letters, not harakat: أَنَا -> أنا, آمَنَ -> آمن.
    assert strip_diacritics("أَنَا آمَنَ", 1.0, rng) == "أنا آمن"
    # A precomposed nukta letter (U+095C) keeps its code points: nothing was stripped.
    assert strip_diacritics("पढ़ो \u095cा", 1.0, rng) == "पढ़ो \u095cा"
    assert strip_diacritics(SENTENCES["th"], 1.0, rng) == SENTENCES["th"]


def test_punctuation_noise_at_full_strength_changes_every_gap_and_mark() -> None:
    noisy = punctuation_noise("Mama, ich bin daheim.", 1.0, random.Random(2))
    assert "".join(c for c in noisy if c.isalpha()) == "Mamaichbindaheim"
    assert not noisy.endswith(".")  # every original mark is dropped
    # Each gap became "", a double space, or a mark and a space: here "  ", "  ", ". ".
    assert noisy == "Mama  ich  bin. daheim"


def test_punctuation_noise_reaches_the_gaps_of_spaceless_scripts() -> None:
    # 他说 | 妈妈 | 我回 | 来了: at strength 1 each of the 3 gaps gets a space or a mark.
    noisy = punctuation_noise("他说妈妈我回来了", 1.0, random.Random(5))
    assert "".join(c for c in noisy if "\u4e00" <= c <= "\u9fff") == "他说妈妈我回来了"
    assert noisy == "他说 妈妈 我回,来了"  # seed 5: space, space, comma


def test_shuffle_keeps_the_words_and_moves_them_within_windows() -> None:
    text = "eins zwei drei vier fünf sechs"
    shuffled = shuffle_words(text, 1.0, random.Random(4), window=3)
    first, second = shuffled.split(" ")[:3], shuffled.split(" ")[3:]
    assert sorted(first) == ["drei", "eins", "zwei"]
    assert sorted(second) == ["fünf", "sechs", "vier"]
    assert shuffled != text


def test_code_switch_takes_the_diagonally_aligned_english_word() -> None:
    # 7 German words, 6 English words: word i -> English word floor(i * 5 / 6 + 1/2):
    # 0, 1, 2, 3 (2.5 rounds up), 3, 4, 5; the second of the two neighbours aligned with
    # "Mama" adds nothing.
    switched = code_switch(
        "Und er hat gesagt: Mama, ich bin", "And he said Mama I'm home", 1.0, random.Random(0)
    )
    assert switched == "And he said Mama I'm home"
    partial = code_switch(SENTENCES["de"], ENGLISH, 0.5, random.Random(1)).split(" ")
    english_words = set(ENGLISH.split())
    assert 0 < sum(w in english_words and w not in SENTENCES["de"].split() for w in partial) < 7


def test_code_switching_english_into_english_changes_nothing() -> None:
    # Double spaces used to shift the alignment: "uncle's cottage" became "uncle's in in".
    text = "He stayed at  his uncle's cottage in the woods."
    for seed in range(10):
        assert code_switch(text, " ".join(text.split()), 1.0, random.Random(seed)) == text


def test_code_switch_gives_each_english_word_once_in_thai() -> None:
    # 16 two-cluster pseudo-words against 6 English words: runs align with one word.
    switched = code_switch(SENTENCES["th"], ENGLISH, 1.0, random.Random(0))
    assert switched == "And he said, Mama, I'm home."


def test_code_switch_in_a_spaceless_script_puts_spaces_around_english() -> None:
    switched = code_switch("他说妈妈我回来了", "He said mom I am back", 1.0, random.Random(0))
    assert switched == "He mom I back"
