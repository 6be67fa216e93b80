"""Every measure xqg knows, as small objects (after ir_measures' ``Measure``).

A :class:`Measure` knows its name, its family (how its per-query values are computed), its
parameter (the cut-off ``k``, the token budget of R@kt, or the XNLI label of a confusion
rate), how it is printed, and its direction. Everything that needs to know what a measure is
asks :func:`measure`; nothing else tests the spelling of a name.

Families:
- ``r_at_kt``: R@<n>kt, answer strings in the first n thousand tokens (official XOR-Retrieve
  definition, :mod:`pipelines.metrics.r_at_kt`); printed as a percentage, as the paper does.
- ``qrels``: MRR@k, nDCG@k, Recall@k, P@k through ir_measures
  (:mod:`pipelines.metrics.qrels`).
- ``confusion``: Confusion@<label>, does an XNLI hypothesis outrank its premise
  (:mod:`pipelines.robustness.confusion`); it counts mistakes, so lower is better.
- ``attack``: Success@k, an attack's success rate: the share of the queries whose relevant
  passage was in the top k before the attack and is not after it
  (:mod:`pipelines.robustness.success`, from the Recall@k of the clean and the attacked
  search); it counts the defender's losses, so lower is better.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pipelines.errors import InputError

# "other": a name stored by someone else, shown with 3 decimals, higher is better
Family = Literal["r_at_kt", "qrels", "confusion", "attack", "other"]

# The evaluate step's measures and R@kt token budgets (the CLI defaults, the app and the docs
# import these).
DEFAULT_MEASURES = ("MRR@10", "nDCG@10", "Recall@1", "Recall@10", "Recall@100")
DEFAULT_KT = (100, 500, 2000, 5000)
# The sweep's and the robustness evaluation's defaults.
SWEEP_MEASURES = ("MRR@10", "Recall@10", "Recall@100")
SWEEP_KT = (2000, 5000)
ROBUSTNESS_MEASURES = ("MRR@10", "Recall@1")
# The success rates every robustness report gives (leaves rank 1; leaves the top 10).
SUCCESS_MEASURES = ("Success@1", "Success@10")
# The measures a report shows first (terminal tables, the demo, the app's Compare screen).
SHOWN_FIRST = ("MRR@10", "R@2kt")

_QRELS = re.compile(r"(MRR|nDCG|Recall|P)@(\d+)")
_R_AT_KT = re.compile(r"R@([\d.]+)kt")
_CONFUSION = re.compile(r"Confusion@(\w+)")
_SUCCESS = re.compile(r"Success@(\d+)")
UNKNOWN = "expected MRR@k, nDCG@k, Recall@k, P@k or R@<n>kt"


@dataclass(frozen=True)
class Measure:
    """One measure: its name, family, parameter, scale and direction."""

    name: str
    family: Family
    # k of a qrels measure or a success rate, the token budget of R@kt; None for a
    # confusion rate
    cutoff: int | None = None
    # the XNLI label of a confusion rate
    label: str | None = None

    @property
    def percent(self) -> bool:
        """Printed as a percentage (R@kt, as the paper prints it)."""
        return self.family == "r_at_kt"

    @property
    def scale(self) -> float:
        """Factor from stored values (fractions) to display units."""
        return 100.0 if self.percent else 1.0

    @property
    def unit(self) -> str:
        """Unit of a difference in display units: ``points`` for percentages."""
        return "points" if self.percent else ""

    @property
    def lower_is_better(self) -> bool:
        """Confusion and success rates count mistakes: the attack raises them."""
        return self.family in ("confusion", "attack")

    def value_text(self, value: float | None) -> str:
        """A value in display units: a percentage with 2 decimals, else 3 decimals."""
        if value is None:
            return "-"
        return f"{100 * value:.2f}" if self.percent else f"{value:.3f}"

    def delta_text(self, delta: float) -> str:
        """A signed difference in display units (a difference that rounds to zero shows as
        +0.000, never -0.000)."""
        text = f"{100 * delta:+.2f}" if self.percent else f"{delta:+.3f}"
        return "+" + text[1:] if text.startswith("-") and not text.strip("-0.") else text

    def loss(self, clean: float, attacked: float) -> float:
        """What an attack costs on this measure: positive when it hurts."""
        return attacked - clean if self.lower_is_better else clean - attacked


def known(name: str) -> Measure | None:
    """The measure called ``name``, or None when it is no measure of ours."""
    if match := _R_AT_KT.fullmatch(name):
        return Measure(name, "r_at_kt", cutoff=round(float(match.group(1)) * 1000))
    if match := _QRELS.fullmatch(name):
        return Measure(name, "qrels", cutoff=int(match.group(2)))
    if match := _CONFUSION.fullmatch(name):
        return Measure(name, "confusion", label=match.group(1))
    if match := _SUCCESS.fullmatch(name):
        return Measure(name, "attack", cutoff=int(match.group(1)))
    return None


def measure(name: str) -> Measure:
    """The measure called ``name``; a name we do not know is of the ``other`` family."""
    return known(name) or Measure(name, "other")


def r_at_kt(kt: int) -> Measure:
    """R@kt named as the paper writes it: 2000 -> ``R@2kt``, 100 -> ``R@0.1kt``."""
    name = f"R@{kt // 1000}kt" if kt % 1000 == 0 else f"R@{kt / 1000:g}kt"
    return Measure(name, "r_at_kt", cutoff=kt)


def confusion(label: str) -> Measure:
    """The confusion rate of an XNLI label, e.g. ``Confusion@contradiction``."""
    return Measure(f"Confusion@{label}", "confusion", label=label)


def success(cutoff: int) -> Measure:
    """An attack's success rate at a cut-off, e.g. ``Success@10``."""
    return Measure(f"Success@{cutoff}", "attack", cutoff=cutoff)


def of_family(names: Sequence[str], family: Family) -> list[Measure]:
    """The measures among ``names`` that belong to ``family``, in order."""
    return [m for m in map(measure, names) if m.family == family]


def check_measures(names: Sequence[str], families: Sequence[Family]) -> list[str]:
    """The names without repeats, each checked to be a measure of one of ``families``."""
    for name in names:
        found = known(name)
        if found is None or found.family not in families:
            raise InputError(f"unknown measure {name!r}; {UNKNOWN}")
    return list(dict.fromkeys(names))


# The order of a report (``xqg evaluate`` lists R@kt budgets, then the qrels measures).
FAMILY_ORDER: tuple[Family, ...] = ("r_at_kt", "qrels", "confusion", "other")
QRELS_ORDER = ("MRR", "nDCG", "Recall", "P")


def report_order(names: Sequence[str]) -> list[str]:
    """``names`` in the order reports list them: R@kt by budget, then MRR, nDCG, Recall
    and P each by cutoff, then confusion rates and unknown names by name."""

    def key(name: str) -> tuple[int, int, int, str]:
        found = measure(name)
        kind = name.split("@")[0]
        rank = QRELS_ORDER.index(kind) if found.family == "qrels" else 0
        return (FAMILY_ORDER.index(found.family), rank, found.cutoff or 0, name)

    return sorted(dict.fromkeys(names), key=key)


def preferred(names: Sequence[str], first: Sequence[str] = SHOWN_FIRST) -> str:
    """The measure to show first among ``names``: the first of ``first`` there, else the
    first name."""
    return next((m for m in first if m in names), names[0])
