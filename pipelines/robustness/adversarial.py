"""Black-box search for an adversarial query against one retriever (greedy or beam).

The attacker sees what a user of the system sees: the score of every passage for a query
it sends. Each round, every state of the beam is expanded by one move
(:mod:`pipelines.robustness.moves`); the candidates are encoded together, one encoder call
per batch of ``batch`` texts (the model calls counted), and scored exactly against the
whole index. A candidate's objective is its *margin*: the relevant passage's score minus
the score of the ``goal``-th best other passage (goal 1: the best competitor). The search
keeps the ``beam`` candidates of lowest margin (ties: the earlier in move order) and stops
when the best state pushed the relevant passage below rank ``goal``, when no candidate
lowers the margin, or when ``budget`` moves are spent. Beam 1 is greedy search.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.robustness.moves import MoveFamily, State, expand, start

EncodeTexts = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Settings:
    """How hard the attacker searches."""

    family: MoveFamily
    budget: int = 3
    beam: int = 1
    goal: int = 10
    candidates: int = 128
    batch: int = 256
    window: int = 0
    seed: int = 1


@dataclass
class Target:
    """What the attacker queries: an encoder and an index's passage vectors (exact search).

    ``calls`` counts encoder calls and ``encoded`` the texts encoded, over every search.
    """

    encode: EncodeTexts
    passages: np.ndarray
    keys: np.ndarray
    calls: int = 0
    encoded: int = 0

    def score(self, texts: Sequence[str], relevant: int, goal: int, batch: int) -> list[Scored]:
        """Margin and rank of the passage keyed ``relevant`` for each text."""
        column = int(np.flatnonzero(self.keys == relevant)[0])
        found = []
        for begin in range(0, len(texts), batch):
            chunk = list(texts[begin : begin + batch])
            vectors = np.asarray(self.encode(chunk), dtype=np.float32)
            self.calls += 1
            self.encoded += len(chunk)
            scores = vectors @ self.passages.T
            found.extend(self._margins(scores, column, goal))
        return found

    def _margins(self, scores: np.ndarray, column: int, goal: int) -> list[Scored]:
        mine = scores[:, column]
        others = np.delete(scores, column, axis=1)
        goal = min(goal, others.shape[1])
        kth = -np.partition(-others, goal - 1, axis=1)[:, goal - 1]
        # Ranks as the search step breaks ties: by passage id.
        ahead = (scores > mine[:, None]) | (
            (scores == mine[:, None]) & (self.keys < self.keys[column])[None, :]
        )
        ranks = ahead.sum(axis=1) + 1
        return [
            Scored(float(m), int(r), float(s))
            for m, r, s in zip(mine - kth, ranks, mine, strict=True)
        ]


@dataclass(frozen=True)
class Scored:
    """A text's margin over the goal-th competitor, the relevant passage's rank and score."""

    margin: float
    rank: int
    score: float


@dataclass
class Outcome:
    """One query's attack: the adversarial state, its score, the clean score, the cost."""

    state: State
    scored: Scored
    clean: Scored
    calls: int
    encoded: int


def attack(
    target: Target,
    text: str,
    relevant: int,
    settings: Settings,
    *,
    donors: Mapping[str, str] | None = None,
    key: str = "",
) -> Outcome:
    """Search adversarial versions of ``text`` against ``target``; ``key`` (the query id)
    seeds the sampling of candidates when a round has more than ``settings.candidates``."""
    calls, encoded = target.calls, target.encoded
    first = start(settings.family, text)
    clean = target.score([text], relevant, settings.goal, settings.batch)[0]
    beam = [(clean, first)]
    seen = {text}
    rng = random.Random(f"{settings.seed}:{key}")
    for _ in range(settings.budget):
        if beam[0][0].rank > settings.goal:
            break
        pool = _candidates(beam, settings, donors, seen, rng)
        if not pool:
            break
        scored = target.score([s.text for s in pool], relevant, settings.goal, settings.batch)
        ranked = sorted(
            zip(scored, pool, strict=True), key=lambda pair: pair[0].margin
        )  # stable: ties keep move order
        if ranked[0][0].margin >= beam[0][0].margin:
            break
        beam = ranked[: settings.beam]
    best, state = beam[0]
    return Outcome(state, best, clean, target.calls - calls, target.encoded - encoded)


def _candidates(
    beam: list[tuple[Scored, State]],
    settings: Settings,
    donors: Mapping[str, str] | None,
    seen: set[str],
    rng: random.Random,
) -> list[State]:
    pool = []
    for _, state in beam:
        fresh = []
        for candidate in expand(settings.family, state, donors, settings.window):
            if candidate.text not in seen:
                seen.add(candidate.text)
                fresh.append(candidate)
        if len(fresh) > settings.candidates:
            fresh = [fresh[i] for i in sorted(rng.sample(range(len(fresh)), settings.candidates))]
        pool.extend(fresh)
    return pool
