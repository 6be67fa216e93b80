"""Model names checked before any run: folders that are not there, ids with no hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.hub import hub_reachable, model_source

# Nothing listens on the discard port of this machine: the connection is refused at once,
# as on a machine without a network.
NO_HUB = "http://127.0.0.1:9"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No hub to reach, not switched off by the user, and an empty model cache."""
    import huggingface_hub.constants

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", NO_HUB)
    cache = tmp_path / "hub-cache"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("hf:/no/such/folder", "hf:/no/such/folder: no such folder; give a local encoder folder"),
        ("./models/e5", "./models/e5: no such folder"),
        ("~/nowhere/e5", "~/nowhere/e5: no such folder"),
        ("org/name/extra", "org/name/extra: no such folder"),
        ("hf:bad id!", "hf:bad id!: no such folder, and not a model id (org/name)"),
    ],
)
def test_a_path_that_is_not_there_says_no_such_folder(name: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        model_source(name, "encoder")
    assert str(raised.value).startswith(message)


def test_a_file_is_not_a_model_folder(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(InputError, match=r"model\.bin: not a folder; give a generator folder"):
        model_source(str(tmp_path / "model.bin"), "generator")


def test_an_existing_folder_is_the_source_without_the_prefix(tmp_path: Path) -> None:
    assert model_source(f"hf:{tmp_path}") == str(tmp_path)


def test_an_id_without_a_hub_is_refused_at_once(offline: Path) -> None:
    assert not hub_reachable()
    with pytest.raises(InputError) as raised:
        model_source("hf:ielabgroup/xor-tydi-docTquery-mt5-base", "generator")
    assert f"the hub ({NO_HUB}) is unreachable (offline?)" in str(raised.value)
    assert str(raised.value).startswith("generator 'hf:ielabgroup/xor-tydi-docTquery-mt5-base'")


def test_an_id_when_the_hub_is_switched_off(offline: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="HF_HUB_OFFLINE is set; give a local model folder"):
        model_source("org/name")


def test_a_cached_id_is_used_offline_without_retrying_the_hub(
    offline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = offline / "models--org--name" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}", "utf-8")
    (offline / "models--org--name" / "refs").mkdir()
    (offline / "models--org--name" / "refs" / "main").write_text("abc123", "utf-8")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert model_source("org/name") == "org/name"
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # transformers reads the cache, no retries
