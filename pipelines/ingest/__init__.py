"""The ingest step: validated dataset records into a collection, idempotently."""

from __future__ import annotations

from typing import Any

from pipelines.errors import InputError
from pipelines.ingest.beir import read_beir
from pipelines.ingest.jsonl import read_jsonl
from pipelines.ingest.records import Dataset
from pipelines.ingest.xnli import PromptSplit, read_xnli, read_xnli_halves
from pipelines.ingest.xor_tydi import read_xor_tydi
from pipelines.ingest.xquad import read_xquad
from pipelines.progress import SILENT, Progress
from pipelines.steps import run_step
from store import collections, runs
from store.db import Store
from store.errors import ConflictError
from store.records import Run

__all__ = [
    "Dataset",
    "PromptSplit",
    "check_part",
    "ingest",
    "read_beir",
    "read_jsonl",
    "read_xnli",
    "read_xnli_halves",
    "read_xor_tydi",
    "read_xquad",
]


def ingest(
    store: Store,
    dataset: Dataset,
    collection: str | None = None,
    *,
    name: str | None = None,
    progress: Progress = SILENT,
) -> Run:
    """Add a dataset to a collection (named after its source unless given).

    Rows already stored with identical content are skipped; an id reused with other content
    stops the step and nothing is written.
    """
    target = collection or dataset.source
    params = {"source": dataset.source, "collection": target, "counts": dataset.counts()}
    if dataset.part is not None:
        params["part"] = dataset.part

    def body(run: Run) -> dict[str, Any]:
        check_part(store, target, dataset.part)
        try:
            with store.transaction():
                found = collections.ensure_collection(store, target, dataset.source)
                added = {
                    "passages": collections.add_passages(store, found.id, dataset.passages),
                    "queries": collections.add_queries(store, found.id, dataset.queries),
                    "qrels": collections.add_qrels(store, found.id, dataset.qrels),
                    "answers": collections.add_answers(store, found.id, dataset.answers),
                }
                runs.set_collection(store, run.id, found.id)
        except ConflictError as error:
            raise dataset.locate(error) from None
        languages: dict[str, int] = {}
        for query in dataset.queries:
            languages[query.language] = languages.get(query.language, 0) + 1
        return {"files": dataset.files, "added": added, "query_languages": languages}

    return run_step(
        store, "ingest", params, body, name=name, default_name=f"ingest-{target}", progress=progress
    )


def check_part(store: Store, target: str, part: dict[str, Any] | None) -> None:
    """Refuse to add ``part`` of a source (e.g. one half of a split; None: a whole dataset)
    to a collection that holds another part, or whole datasets."""
    for other in runs.list_runs(store, "ingest"):
        theirs = other.params.get("part")
        if other.params.get("collection") == target and other.status == "done" and (theirs != part):
            raise InputError(
                f"collection {target!r} already holds {_described(theirs)} "
                f"(ingest run {other.name!r}); ingest {_described(part)} into another "
                "--collection"
            )


def _described(part: dict[str, Any] | None) -> str:
    if part is None:
        return "whole datasets"
    return "part " + ", ".join(f"{key} {value}" for key, value in sorted(part.items()))
