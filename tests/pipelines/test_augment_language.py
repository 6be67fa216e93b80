"""augment --require-language: generated queries in another language than asked are left out
and counted, on the demo's database with real e5-small."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.augment import augment
from pipelines.errors import InputError
from pipelines.generations import import_generations
from store import Store, open_store

pytestmark = pytest.mark.slow

GERMAN = [
    "Welche Mannschaft hat das Spiel gewonnen?",
    "Wo wurde das Endspiel in diesem Jahr ausgetragen?",
    "Wie viele Zuschauer haben das Spiel im Fernsehen gesehen?",
]
ENGLISH = [
    "Which team won the game in the end?",
    "Where was the final played this year?",
    "How many people watched the game on television?",
]


@pytest.fixture
def demo_store(demo_db: Path) -> Store:
    return open_store(demo_db, create=False)


def _import(store: Store, tmp_path: Path, name: str) -> str:
    """Three passages, each with a German query and an English one both labelled German."""
    docids = [r[0] for r in store.execute("SELECT docid FROM passages ORDER BY id LIMIT 3")]
    lines = [
        {"docid": docid, "lang": "de", "text": text}
        for docid, german, english in zip(docids, GERMAN, ENGLISH, strict=True)
        for text in (german, english)
    ]
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    return import_generations(store, path, "xquad", name=name).name


def test_queries_in_another_language_are_dropped_and_counted(
    demo_store: Store, tmp_path: Path
) -> None:
    with demo_store:
        generations = _import(demo_store, tmp_path, "mixed-de")
        checked = augment(
            demo_store, "demo-baseline", generations, require_language=True, name="de-only"
        )
        unchecked = augment(demo_store, "demo-baseline", generations, name="de-all")
    assert checked.summary["language_check"] == {
        "kept": 3,
        "dropped": 3,
        "dropped_per_language": {"de": 3},
    }
    assert checked.summary["generations_used"] == 3
    assert checked.params["require_language"] is True
    assert unchecked.summary["generations_used"] == 6
    assert "language_check" not in unchecked.summary and "require_language" not in unchecked.params


def test_a_run_stored_before_language_id_is_named_with_the_fix(
    demo_store: Store, tmp_path: Path
) -> None:
    with demo_store:
        generations = _import(demo_store, tmp_path, "old-de")
        with demo_store.transaction():
            demo_store.execute(
                "UPDATE generations SET detected_language = NULL WHERE run_id = "
                "(SELECT id FROM runs WHERE name = 'old-de')"
            )
        before = demo_store.scalar("SELECT count(*) FROM runs")
        with pytest.raises(InputError) as raised:
            augment(demo_store, "demo-baseline", generations, require_language=True)
        assert demo_store.scalar("SELECT count(*) FROM runs") == before  # refused before a run
    assert "has 6 generated queries with no detected language" in str(raised.value)
    assert "run `xqg generate languages old-de` once" in str(raised.value)
