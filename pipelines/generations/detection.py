"""The language of each generated query, as a detector finds it: stored beside the requested
language when a run writes its queries, filled in later for runs stored before."""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.language_id import detect
from pipelines.progress import SILENT, Progress
from pipelines.steps import require_done
from store import generations, runs
from store.db import Store
from store.generations import LanguageAgreement
from store.records import GenerationRecord

# Rows detected and written per transaction when filling in an older run.
CHUNK = 10_000


def with_detected(records: Sequence[GenerationRecord]) -> list[GenerationRecord]:
    """The records with the language detected in each text and its confidence."""
    found = []
    for record in records:
        language, confidence = detect(record.text)
        found.append(record._replace(detected_language=language, language_confidence=confidence))
    return found


def detect_run_languages(
    store: Store, generation_run: str | int, *, progress: Progress = SILENT
) -> list[LanguageAgreement]:
    """Detect the language of every query of a generation run that has none yet (runs
    stored before language ID); returns the agreement per requested language.

    Resumable: each chunk of rows is committed as it is detected; a rerun does the rest.
    """
    run = require_done(runs.get_run(store, generation_run, kind="generate"))
    todo = sum(a.undetected for a in generations.language_agreement(store, run.id))
    if todo == 0:
        return generations.language_agreement(store, run.id)
    with progress.task(f"detecting languages of {run.name}", todo) as advance:
        while chunk := generations.undetected(store, run.id, CHUNK):
            generations.set_detected(store, [(gid, *detect(text)) for gid, text in chunk])
            advance(len(chunk))
    return generations.language_agreement(store, run.id)
