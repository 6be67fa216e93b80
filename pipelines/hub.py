"""Where a model named by the user comes from: a local folder, the Hugging Face cache, or the
hub. Checked before any run starts, so a typo or an offline machine is a clear error at once
instead of a minute of download retries."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from pipelines.errors import InputError

DEFAULT_ENDPOINT = "https://huggingface.co"
# One TCP connect: enough to tell "no network" from "slow network" without a retry loop.
CONNECT_TIMEOUT_S = 3.0
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def model_source(name: str, what: str = "model") -> str:
    """The ``from_pretrained`` source of a model name (``hf:`` prefix optional), checked.

    A name that looks like a path (``/``, ``.``, ``~``, or more than one ``/``) must be an
    existing folder. An id (``org/name``) must be in the local cache or the hub must be
    reachable; when only the cache has it, transformers is switched to offline mode so that it
    does not retry the hub.

    Raises:
        InputError: no such folder, or an id neither cached nor reachable.
    """
    source = name.removeprefix("hf:")
    path = Path(source).expanduser()
    if path.exists():
        if not path.is_dir():
            raise InputError(f"{name}: not a folder; give a {what} folder or a model id")
        return source
    if not source or source.startswith((".", os.sep, "~")) or source.count("/") > 1:
        raise InputError(
            f"{name}: no such folder; give a local {what} folder with config.json, "
            "*.safetensors and the tokenizer, or a model id (org/name)"
        )
    if not _valid_id(source):
        raise InputError(f"{name}: no such folder, and not a model id (org/name); check the name")
    if _cached(source):
        if not hub_reachable():
            os.environ["HF_HUB_OFFLINE"] = "1"  # the cached copy, without retrying the hub
        return source
    if offline_by_choice():
        raise InputError(
            f"{what} {name!r}: not a local folder and not in the Hugging Face cache, and "
            "HF_HUB_OFFLINE is set; give a local model folder or unset HF_HUB_OFFLINE"
        )
    if not hub_reachable():
        raise InputError(
            f"{what} {name!r}: not a local folder and not in the Hugging Face cache, and the "
            f"hub ({endpoint()}) is unreachable (offline?); give a local model folder, or "
            "download the model where there is a network and copy its folder here"
        )
    return source


def offline_by_choice() -> bool:
    """Whether the user switched the hub off (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE)."""
    return any(
        os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
        for name in OFFLINE_VARIABLES
    )


def endpoint() -> str:
    """The hub's address (``HF_ENDPOINT`` or huggingface.co)."""
    return os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT


def hub_reachable(timeout: float = CONNECT_TIMEOUT_S) -> bool:
    """Whether a TCP connection to the hub opens within ``timeout`` seconds."""
    if offline_by_choice():
        return False
    address = urlparse(endpoint())
    port = address.port or (443 if address.scheme == "https" else 80)
    try:
        with socket.create_connection((address.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def _valid_id(source: str) -> bool:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(source)
    except HFValidationError:
        return False
    return True


def _cached(model_id: str) -> bool:
    """Whether the Hugging Face cache holds the model's config.json."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model_id, "config.json"), str)
