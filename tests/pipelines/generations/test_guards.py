"""Quality guards on hand-made samples: what is dropped, what is kept, what is counted."""

from __future__ import annotations

from pipelines.generations.guards import GuardCounts, copies_input, guard_samples
from pipelines.generations.prompts import DEFAULT_TEMPLATE, format_prompt

PROMPT = format_prompt(
    DEFAULT_TEMPLATE,
    "ar",
    "Super Bowl 50",
    "Super Bowl 50 was an American football game to determine the champion of the NFL.",
)


def test_copies_of_the_prompt_or_long_spans_of_it_are_copies() -> None:
    assert copies_input(PROMPT, PROMPT)
    assert copies_input("  " + PROMPT.upper().replace(" ", "   "), PROMPT)
    assert copies_input("was an American football game", PROMPT)  # a lifted phrase
    assert copies_input("Generate a Arabic question for this passage", PROMPT)
    assert not copies_input("Super Bowl 50", PROMPT)  # a short span: a plausible query
    assert not copies_input("Who won Super Bowl 50?", PROMPT)
    assert not copies_input("من فاز بالسوبر بول 50؟", PROMPT)
    assert copies_input("hi", "Hi")  # the whole (short) prompt


def test_guards_drop_empty_copies_and_duplicates_in_sampling_order() -> None:
    samples = [
        "من فاز؟",
        "   ",
        "",
        "an American football game to determine",
        "من فاز؟",
        " من فاز؟ ",
        "متى أقيمت المباراة؟",
        PROMPT,
    ]
    kept, counts = guard_samples(samples, PROMPT)
    assert kept == ["من فاز؟", "متى أقيمت المباراة؟"]
    assert counts == GuardCounts(empty=2, copies=2, duplicates=2)


def test_disabled_guards_keep_every_sample_stripped() -> None:
    kept, counts = guard_samples([" a ", "", "a"], PROMPT, enabled=False)
    assert kept == ["a", "", "a"]
    assert counts == GuardCounts()


def test_counts_add_up() -> None:
    total = GuardCounts(1, 2, 3)
    total.add(GuardCounts(10, 20, 30))
    assert total == GuardCounts(11, 22, 33)
