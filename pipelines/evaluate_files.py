"""Score run files against a qrels file directly, as ``ir_measures`` and ``ranx`` users expect.

Nothing is ingested into the user's database: the qrels (and topics) become a collection of a
throw-away database in a temporary folder, each run file is imported into it
(:func:`pipelines.trec.import_run`: trec_eval's tie order, unknown docids retrieved and
non-relevant) and evaluated by :func:`pipelines.evaluate.evaluate`, so the numbers, paired
tests, corrections, bootstrap intervals and reports are those of stored runs. The passages
are the judged docids only (a docid no qrel names is non-relevant whatever it is), so
memory and disk follow the qrels and the run files, not a corpus.

Per language: a query's language comes from its topics file's name, its qid's ``-<lang>``
suffix or the qrels file's name (:func:`pipelines.ingest.trec_files.query_languages`), else
it is ``und``.
R@kt needs passage texts and answer strings: ingest the corpus and the questions, then
``xqg import-run`` the file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from pipelines.errors import InputError
from pipelines.evaluate import (
    ALPHA,
    EvaluationReport,
    check_measures,
    check_statistics,
    evaluate,
)
from pipelines.ingest.trec_files import query_languages, read_qrels, read_topics
from pipelines.metrics import measures as registry
from pipelines.metrics.measures import DEFAULT_MEASURES
from pipelines.metrics.significance import Correction, Test
from pipelines.options import Ties
from pipelines.progress import SILENT, Progress
from pipelines.trec import import_run
from store import collections, open_store
from store.db import Store
from store.records import PassageRecord, QueryRecord


def evaluate_run_files(
    run_files: Sequence[str | Path],
    qrels: str | Path,
    *,
    topics: Sequence[str | Path] = (),
    measures: Sequence[str] = DEFAULT_MEASURES,
    complete: bool = False,
    test: Test = "t",
    correction: Correction = "holm",
    alpha: float = ALPHA,
    ties: Ties = "trec_eval",
    progress: Progress = SILENT,
) -> EvaluationReport:
    """Evaluate TREC or Tevatron run files against a TREC qrels file (the first run is the
    baseline); runs are named by their file names.

    Raises:
        InputError: a bad line of any file (with its file and line), an R@kt measure, a run
            file named twice, or a run file in which no qid is judged.
    """
    check_statistics(test, correction, alpha)
    names = check_measures(measures)
    if kt := [m.name for m in registry.of_family(names, "r_at_kt")]:
        raise InputError(
            f"{', '.join(kt)} needs passage texts and answers, which a qrels file has not; "
            "ingest the corpus and questions, then `xqg import-run` the run file"
        )
    paths = [Path(path) for path in run_files]
    if len({path.resolve() for path in paths}) != len(paths):
        raise InputError("a run file is named twice")
    with (
        tempfile.TemporaryDirectory(prefix="xqg-evaluate-") as folder,
        open_store(Path(folder) / "runs.db") as store,
    ):
        _judged_collection(store, qrels, topics)
        imported = [
            import_run(store, path, name=label, ties=ties, progress=progress).name
            for path, label in zip(paths, _labels(paths), strict=True)
        ]
        return evaluate(
            store,
            imported,
            measures=names,
            kt=[],
            test=test,
            correction=correction,
            alpha=alpha,
            complete=complete,
            progress=progress,
        )


def _labels(paths: Sequence[Path]) -> list[str]:
    """Each run's name: its file name, or its path where two files share a name."""
    shared = {path.name for path in paths if sum(p.name == path.name for p in paths) > 1}
    return [str(path) if path.name in shared else path.name for path in paths]


def _judged_collection(store: Store, qrels: str | Path, topics: Sequence[str | Path]) -> None:
    """The qrels as a collection: its queries (text from the topics) and judged docids."""
    judgements = read_qrels(qrels)
    texts = {qid: text for path in topics for qid, text in read_topics(path).items()}
    qids = list(dict.fromkeys(record.qid for record in judgements))
    languages = query_languages(qids, topics, qrels)
    docids = dict.fromkeys(record.docid for record in judgements)
    target = collections.ensure_collection(store, Path(qrels).name, str(qrels))
    collections.add_passages(store, target.id, [PassageRecord(d, "", "") for d in docids])
    collections.add_queries(
        store, target.id, [QueryRecord(q, languages[q], texts.get(q, "")) for q in qids]
    )
    collections.add_qrels(store, target.id, judgements)
