"""Every stored generated query carries the language detected in it; older runs are filled
in on demand, resumably."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.generations import generate_heldout, import_generations
from pipelines.generations.detection import detect_run_languages
from pipelines.ingest import ingest, read_xquad
from pipelines.language_id import detect
from store import Store
from store.generations import LanguageAgreement, language_agreement


@pytest.fixture
def xquad_store(store: Store, small_xquad: Path) -> Store:
    ingest(store, read_xquad(small_xquad))
    return store


def _stored(store: Store, run_id: int) -> list[tuple[str, str, str | None, float | None]]:
    return store.execute(
        "SELECT language, text, detected_language, language_confidence FROM generations "
        "WHERE run_id = ? ORDER BY id",
        (run_id,),
    ).fetchall()


def test_stand_ins_store_the_detected_language_and_confidence(xquad_store: Store) -> None:
    run = generate_heldout(xquad_store, "xquad", k=1, seed=13)
    rows = _stored(xquad_store, run.id)
    assert len(rows) == 80
    assert all((found, confidence) == detect(text) for _, text, found, confidence in rows)
    # Real German and Spanish XQuAD questions: the detector agrees on every one.
    assert language_agreement(xquad_store, run.id) == [
        LanguageAgreement("de", 40, 40, 0),
        LanguageAgreement("es", 40, 40, 0),
    ]


def test_imports_store_it_and_an_english_query_asked_for_german_shows(
    xquad_store: Store, tmp_path: Path
) -> None:
    docid = "Super_Bowl_50#0"
    lines = [
        {"docid": docid, "lang": "de", "text": "Welche Mannschaft hat das Spiel gewonnen?"},
        {"docid": docid, "lang": "de", "text": "Which team won the fiftieth Super Bowl?"},
    ]
    path = tmp_path / "flat.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    run = import_generations(xquad_store, path, "xquad")
    assert [row[2] for row in _stored(xquad_store, run.id)] == ["de", "en"]
    assert language_agreement(xquad_store, run.id) == [LanguageAgreement("de", 2, 1, 0)]


def test_runs_stored_before_language_id_are_filled_in_once(xquad_store: Store) -> None:
    run = generate_heldout(xquad_store, "xquad", k=1, seed=13, fts=True)
    detected = _stored(xquad_store, run.id)
    with xquad_store.transaction():
        xquad_store.execute(
            "UPDATE generations SET detected_language = NULL, language_confidence = NULL "
            "WHERE run_id = ? AND id % 2 = 0",
            (run.id,),
        )
    assert sum(a.undetected for a in language_agreement(xquad_store, run.id)) == 40
    agreement = detect_run_languages(xquad_store, run.name)
    assert _stored(xquad_store, run.id) == detected
    assert [a.undetected for a in agreement] == [0, 0]
    assert detect_run_languages(xquad_store, run.id) == agreement  # nothing left to do
    # The full-text index still matches the texts (an update of the language leaves it be).
    xquad_store.execute("INSERT INTO generations_fts(generations_fts) VALUES ('integrity-check')")
    with xquad_store.transaction():
        xquad_store.execute(
            "UPDATE generations SET text = 'Wer gewann das Endspiel?' WHERE id = "
            "(SELECT min(id) FROM generations WHERE run_id = ?)",
            (run.id,),
        )
    assert (
        xquad_store.scalar(
            "SELECT count(*) FROM generations_fts WHERE generations_fts MATCH '\"Endspiel\"'"
        )
        >= 1
    )
