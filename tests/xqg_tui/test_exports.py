"""Exports of a view: one line per row whatever the cells hold, files whole or absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from xqg_tui.exports import ExportTable, to_markdown, to_tsv, write_export

TABLE = ExportTable(
    "demo-baseline: Wer?",
    ["rank", "title"],
    [["1", "Tab\there"], ["2", "two\nlines | pipe \\ \x1b[2J"]],
)


def test_tsv_keeps_one_row_per_line_and_one_column_per_tab() -> None:
    assert to_tsv([TABLE, TABLE._replace(title="second")]) == (
        "# demo-baseline: Wer?\nrank\ttitle\n1\tTab\\x09here\n2\ttwo\\x0alines | pipe \\ \\x1b[2J\n"
        "\n# second\nrank\ttitle\n1\tTab\\x09here\n2\ttwo\\x0alines | pipe \\ \\x1b[2J\n"
    )


def test_markdown_escapes_pipes_and_backslashes() -> None:
    assert to_markdown([TABLE]) == (
        "## demo-baseline: Wer?\n\n| rank | title |\n|---|---|\n| 1 | Tab\\\\x09here |\n"
        "| 2 | two\\\\x0alines \\| pipe \\\\ \\\\x1b[2J |\n"
    )


@pytest.mark.parametrize("kind", ["tsv", "md"])
def test_files_are_named_by_view_and_never_overwritten(tmp_path: Path, kind: str) -> None:
    first = write_export([TABLE], kind, tmp_path, "search")  # type: ignore[arg-type]
    second = write_export([TABLE], kind, tmp_path, "search")  # type: ignore[arg-type]
    assert first != second and first.name.startswith("xqg-search-")
    assert first.suffix == second.suffix == f".{kind}"
    assert first.read_text("utf-8") == second.read_text("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])


def test_a_missing_folder_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_export([TABLE], "tsv", tmp_path / "gone", "compare")
    assert list(tmp_path.iterdir()) == []
