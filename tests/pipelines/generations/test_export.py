"""Exports in the official and flat layouts import back to the very same rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.generations import export_generations, generate_queries, import_generations
from store import Store
from store.runs import start_run
from tests.pipelines.generations.conftest import SETTINGS, generated_rows


@pytest.mark.parametrize("layout", ["official", "flat"])
def test_an_export_imports_back_to_the_same_rows(
    xquad_store: Store, tiny_model: Path, tmp_path: Path, layout: str
) -> None:
    run = generate_queries(xquad_store, "xquad", model=str(tiny_model), **SETTINGS)
    path = tmp_path / "out" / f"{layout}.jsonl"
    written = export_generations(xquad_store, run.name, path, layout=layout)  # type: ignore[arg-type]
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    rows = generated_rows(xquad_store, run.id)
    assert (written.passages, written.generations) == (40, len(rows))
    if layout == "official":
        assert len(lines) == 40
        assert set(lines[0]) == {"docid", "generated_queries"}
        assert list(lines[0]["generated_queries"]) == ["ar", "de", "ja"]
    else:
        assert len(lines) == len(rows) and set(lines[0]) == {"docid", "lang", "text"}
    back = import_generations(xquad_store, path, "xquad", name=f"back-{layout}")
    assert generated_rows(xquad_store, back.id) == rows
    assert list(path.parent.iterdir()) == [path]  # no partial file left behind


def test_only_finished_generate_runs_are_exported(xquad_store: Store, tmp_path: Path) -> None:
    start_run(xquad_store, "generate", "half", {"source": "model"})
    with pytest.raises(InputError, match="run 'half' is running, not done"):
        export_generations(xquad_store, "half", tmp_path / "x.jsonl")
    with pytest.raises(InputError, match="--format must be one of official, flat"):
        export_generations(xquad_store, "half", tmp_path / "x.jsonl", layout="csv")  # type: ignore[arg-type]
    assert not (tmp_path / "x.jsonl").exists()
