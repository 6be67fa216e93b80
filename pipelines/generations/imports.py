"""Importing generated queries made elsewhere.

Two layouts, told apart line by line:

* the official release of xQG4xDR: ``{"docid": "...", "generated_queries": {"ar": [q1, ...]}}``
  (one object per passage);
* flat: ``{"docid": "...", "lang": "ar", "text": "..."}`` (one object per query; positions
  follow the order of the lines).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from pipelines.errors import InputError
from pipelines.generations.detection import with_detected
from pipelines.generations.fulltext import with_text_index
from pipelines.generations.guards import renumbered
from pipelines.ingest.records import iter_jsonl, text_field
from pipelines.languages import normalize_language
from pipelines.progress import SILENT, Progress
from pipelines.steps import run_step
from store import collections, generations
from store.db import Store
from store.records import GenerationRecord, Run


class ImportedQuery(NamedTuple):
    """One generated query as a file gives it."""

    docid: str
    language: str
    position: int
    text: str
    line: int


def read_generations(path: str | Path) -> list[ImportedQuery]:
    """Read either layout; empty texts are kept here and dropped (and counted) on import."""
    path = Path(path)
    found: list[ImportedQuery] = []
    next_position: Counter[tuple[str, str]] = Counter()
    official_seen: dict[str, int] = {}
    layout = None
    for line, record in iter_jsonl(path):
        docid = text_field(record, "docid", path, line)
        this_layout = "official" if "generated_queries" in record else "flat"
        if layout not in (None, this_layout):
            raise InputError(
                f"this line is in the {this_layout} layout, earlier lines in the "
                f"{layout} one; use one layout per file",
                path,
                line,
            )
        layout = this_layout
        if this_layout == "official":
            if docid in official_seen:
                raise InputError(
                    f"passage {docid!r} appears again (first at line "
                    f"{official_seen[docid]}); one object per passage",
                    path,
                    line,
                )
            official_seen[docid] = line
            found.extend(_official(docid, record["generated_queries"], path, line))
        else:
            language = normalize_language(text_field(record, "lang", path, line), str(path), line)
            if "text" not in record:
                raise InputError("missing field 'text' (expected a string)", path, line)
            text = text_field(record, "text", path, line, required=False)
            key = (docid, language)
            found.append(ImportedQuery(docid, language, next_position[key], text, line))
            next_position[key] += 1
    return found


def _official(docid: str, value: Any, path: Path, line: int) -> list[ImportedQuery]:
    if not isinstance(value, dict):
        raise InputError(
            "'generated_queries' must be an object language -> list of queries", path, line
        )
    found: list[ImportedQuery] = []
    for code, texts in value.items():
        language = normalize_language(code, str(path), line)
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise InputError(f"'generated_queries'[{code!r}] must be a list of strings", path, line)
        found.extend(ImportedQuery(docid, language, i, t, line) for i, t in enumerate(texts))
    return found


def import_generations(
    store: Store,
    path: str | Path,
    collection: str,
    *,
    guards: bool = True,
    name: str | None = None,
    fts: bool = False,
    progress: Progress = SILENT,
) -> Run:
    """Store generated queries from a file as a ``generate`` run with ``source: import``.

    With ``guards`` (as ``generate``), empty queries are dropped and counted, and the rest
    numbered 0, 1, ... per passage and language in file order; without, every query is
    kept at its position, so the export of a run made with ``--no-guards`` comes back whole.
    """
    found = collections.get_collection(store, collection)
    rows = read_generations(path)
    passage_ids = collections.passage_ids_by_docid(store, found.id)
    for row in rows:
        if row.docid not in passage_ids:
            raise InputError(
                f"passage {row.docid!r} is not in collection {found.name!r}", path, row.line
            )
    kept = _renumbered([row for row in rows if row.text.strip()]) if guards else rows
    if not kept:
        raise InputError("holds no generated query that is not empty", path)
    params = {"source": "import", "collection": found.name, "file": str(path), "guards": guards}

    def body(run: Run) -> dict[str, Any]:
        records = [
            GenerationRecord(passage_ids[r.docid], r.language, r.position, r.text) for r in kept
        ]
        with progress.task("importing generations", len(records)) as advance:
            generations.add_generations(store, run.id, with_detected(records))
            advance(len(records))
        return {
            "generations": len(records),
            "dropped_empty": len(rows) - len(kept),
            "passages": len({r.docid for r in kept}),
            "per_language": dict(sorted(Counter(r.language for r in kept).items())),
        }

    run = run_step(
        store,
        "generate",
        params,
        body,
        name=name,
        default_name=f"import-{found.name}",
        collection_id=found.id,
        progress=progress,
    )
    return with_text_index(store, run) if fts else run


def _renumbered(rows: list[ImportedQuery]) -> list[ImportedQuery]:
    """Positions 0, 1, ... per passage and language, in the rows' order."""
    ordered = sorted(rows, key=lambda r: (r.docid, r.language, r.position))
    return renumbered(ordered, lambda r: (r.docid, r.language))
