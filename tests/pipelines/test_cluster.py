"""The actor plan of the Ray engines: how many actors, how much of a GPU each."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.cluster import actor_plan
from pipelines.errors import InputError


class Cluster:
    """The one call of a Ray module the plan reads: the cluster's resources."""

    def __init__(self, gpus: int) -> None:
        self.gpus = gpus

    def cluster_resources(self) -> dict[str, float]:
        """Resources as Ray reports them (no GPU key without GPUs)."""
        return {"CPU": 16.0, **({"GPU": float(self.gpus)} if self.gpus else {})}


@pytest.mark.parametrize(
    ("gpus", "device", "actors", "per_actor", "expected"),
    [
        (0, "auto", None, None, (0.0, 1)),  # no GPU: one CPU actor
        (0, "cpu", 3, None, (0.0, 3)),
        (8, "auto", None, None, (1.0, 8)),  # one actor per GPU
        (8, "cpu", None, None, (0.0, 1)),  # asked for the CPU
        (8, "auto", None, 0.5, (0.5, 16)),  # two actors per GPU
        (8, "cuda", 4, None, (1.0, 4)),
    ],
)
def test_actors_follow_the_cluster_and_the_options(
    gpus: int, device: str, actors: int | None, per_actor: float | None, expected: Any
) -> None:
    assert actor_plan(Cluster(gpus), device, actors, per_actor) == expected


@pytest.mark.parametrize(
    ("actors", "per_actor", "message"),
    [
        (0, None, "--actors must be at least 1, got 0"),
        (None, 2.0, r"--gpus-per-actor must be a share of one GPU \(0 < g <= 1\), got 2"),
        (None, 0.0, "got 0$"),
    ],
)
def test_bad_pool_options_are_refused(actors: int | None, per_actor: float, message: str) -> None:
    with pytest.raises(InputError, match=message):
        actor_plan(Cluster(8), "auto", actors, per_actor)
