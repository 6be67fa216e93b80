"""Confusion rates: a hypothesis outranking its premise, worked out by hand."""

from __future__ import annotations

from pipelines.robustness.confusion import confusion_values

DOCIDS = {
    1: "7/premise",
    2: "7/entailment",
    3: "7/neutral",
    4: "7/contradiction",
    5: "8/premise",
    6: "8/contradiction",
}


def test_hypotheses_above_the_premise_count_as_confusions() -> None:
    ranked = {
        10: [2, 1, 4, 3],  # entailment above the premise; the others below
        11: [4, 3, 1],  # contradiction and neutral above; entailment not retrieved
        12: [6, 2],  # premise 8 not retrieved, its contradiction is: a confusion
        13: [1, 2],  # relevant passage is not a premise: no value
    }
    premise_of = {10: "7/premise", 11: "7/premise", 12: "8/premise", 13: "7/entailment"}
    values = confusion_values(ranked, premise_of, DOCIDS)
    assert values == {
        "Confusion@entailment": {10: 1.0, 11: 0.0, 12: 0.0},
        "Confusion@neutral": {10: 0.0, 11: 1.0, 12: 0.0},
        "Confusion@contradiction": {10: 0.0, 11: 1.0, 12: 1.0},
    }
