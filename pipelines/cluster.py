"""Joining a Ray cluster, for the steps that can run on one (``pip install xqg[ray]``).

The process that calls these is the driver: it alone holds the database. It joins the
cluster named by ``RAY_ADDRESS`` (or one started on this node), else starts a local one.
"""

from __future__ import annotations

import logging
from typing import Any

from pipelines.errors import InputError


def ray_module() -> Any:
    """The ``ray`` package, or a clear error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "--engine ray needs Ray: pip install 'xqg[ray]' (on every node of the cluster)"
        ) from None
    return ray


def connect() -> Any:
    """``ray``, joined to a cluster (started here when none runs), without Ray Data's
    progress bars over the step's own."""
    ray = ray_module()
    if not ray.is_initialized():
        ray.init(configure_logging=False, log_to_driver=False)
    _quiet(ray)
    return ray


def actor_plan(
    ray: Any, device: str, actors: int | None, gpus_per_actor: float | None = None
) -> tuple[float, int]:
    """(GPUs per actor, number of actors) for a device choice: one actor per GPU of the
    cluster (or per ``gpus_per_actor`` share of one) when it has GPUs, else one CPU actor.

    Raises:
        InputError: ``actors`` below 1, or ``gpus_per_actor`` not in (0, 1] (an actor uses
            one GPU; shares of one pack several actors on it).
    """
    if actors is not None and actors < 1:
        raise InputError(f"--actors must be at least 1, got {actors}")
    if gpus_per_actor is not None and not 0 < gpus_per_actor <= 1:
        raise InputError(
            f"--gpus-per-actor must be a share of one GPU (0 < g <= 1), got {gpus_per_actor:g}"
        )
    gpus = float(ray.cluster_resources().get("GPU", 0))
    use_gpu = device.startswith("cuda") or (device == "auto" and gpus > 0)
    if gpus_per_actor is not None:
        use_gpu = True
    per_actor = (gpus_per_actor or 1.0) if use_gpu else 0.0
    return per_actor, actors or (max(1, int(gpus / per_actor)) if use_gpu else 1)


def _quiet(ray: Any) -> None:
    """No Ray Data progress bars or per-dataset logs over the step's own progress bar."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.enable_auto_log_stats = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
