"""What every JSON-lines reader refuses alike: a file that is not there, or holds no line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipelines.ingest.datafiles import ExpectBadInput

COMMANDS = ("jsonl", "xor-tydi")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("content", ["", "\n  \n"], ids=["0 bytes", "blank lines"])
def test_empty_file(
    tmp_path: Path, command: str, content: str, expect_bad_input: ExpectBadInput
) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(content, encoding="utf-8")

    code = expect_bad_input(
        ["ingest", command, str(path)],
        f"{path}: file is empty; expected one JSON object per line",
    )
    assert code == 2


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_file(tmp_path: Path, command: str, expect_bad_input: ExpectBadInput) -> None:
    path = tmp_path / "absent.jsonl"

    code = expect_bad_input(["ingest", command, str(path)], f"{path}: no such file; check the path")
    assert code == 2
