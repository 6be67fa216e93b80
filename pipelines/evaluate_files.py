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
R@kt needs answer strings and passage texts: ``answers`` (XOR-TyDi questions, which also
give the queries and their languages) and ``passages`` (the DPR/XOR-TyDi TSV the runs rank,
streamed into the throw-away database, so disk grows by about its size).
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
from pipelines.ingest.passages_tsv import ingest_passages_tsv
from pipelines.ingest.trec_files import query_languages, read_qrels, read_topics
from pipelines.ingest.xor_tydi import read_xor_tydi
from pipelines.metrics import measures as registry
from pipelines.metrics.measures import DEFAULT_KT, DEFAULT_MEASURES, r_at_kt
from pipelines.metrics.significance import Correction, Test
from pipelines.options import Ties
from pipelines.progress import SILENT, Progress
from pipelines.trec import import_run
from store import collections, open_store
from store.db import Store
from store.records import PassageRecord, QueryRecord


def evaluate_run_files(
    run_files: Sequence[str | Path],
    qrels: str | Path | None,
    *,
    topics: Sequence[str | Path] = (),
    answers: str | Path | None = None,
    passages: str | Path | None = None,
    measures: Sequence[str] = DEFAULT_MEASURES,
    kt: Sequence[int] | None = None,
    complete: bool = False,
    test: Test = "t",
    correction: Correction = "holm",
    alpha: float = ALPHA,
    ties: Ties = "trec_eval",
    progress: Progress = SILENT,
) -> EvaluationReport:
    """Evaluate TREC or Tevatron run files against a TREC qrels file and/or XOR-TyDi
    questions with answers (the first run is the baseline); runs are named by their file
    names. R@kt (``kt``; by default when answers are given) needs ``answers`` and the
    ``passages`` TSV the runs rank.

    Raises:
        InputError: a bad line of any file (with its file and line), R@kt without answers
            and passages, neither qrels nor answers, a run file named twice, or a run file
            in which no qid is known.
    """
    check_statistics(test, correction, alpha)
    if qrels is None and answers is None:
        raise InputError("give --qrels FILE or --answers FILE (with --passages) to score run files")
    if kt is None:
        kt = DEFAULT_KT if answers is not None and passages is not None else ()
    names = check_measures([r_at_kt(k).name for k in kt] + list(measures))
    asked = [m.name for m in registry.of_family(names, "r_at_kt")]
    if asked and (answers is None or passages is None):
        raise InputError(
            f"{', '.join(asked)} needs answer strings (--answers) and the passage texts the "
            "runs rank (--passages, a DPR/XOR-TyDi TSV)"
        )
    if qrels is None:
        names = [m for m in names if registry.measure(m).family != "qrels"]
    paths = [Path(path) for path in run_files]
    if len({path.resolve() for path in paths}) != len(paths):
        raise InputError("a run file is named twice")
    with (
        tempfile.TemporaryDirectory(prefix="xqg-evaluate-") as folder,
        open_store(Path(folder) / "runs.db") as store,
    ):
        _collection(store, qrels, topics, answers, passages, progress)
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


def _collection(
    store: Store,
    qrels: str | Path | None,
    topics: Sequence[str | Path],
    answers: str | Path | None,
    passages: str | Path | None,
    progress: Progress,
) -> None:
    """One collection of the passages (or the judged docids), the questions with answers
    and the judged queries (text from the topics)."""
    name = Path(qrels or answers or "runs").name
    if passages is not None:
        ingest_passages_tsv(store, passages, name, progress=progress)
    target = collections.ensure_collection(store, name, "files")
    stored = set(collections.passage_ids_by_docid(store, target.id))
    if answers is not None:
        questions = read_xor_tydi(answers)
        collections.add_queries(store, target.id, questions.queries)
        collections.add_answers(store, target.id, questions.answers)
    if qrels is None:
        return
    judgements = read_qrels(qrels)
    texts = {qid: text for path in topics for qid, text in read_topics(path).items()}
    known = {q.qid for q in collections.get_queries(store, target.id)}
    qids = [q for q in dict.fromkeys(r.qid for r in judgements) if q not in known]
    languages = query_languages(qids, topics, qrels)
    docids = [d for d in dict.fromkeys(r.docid for r in judgements) if d not in stored]
    collections.add_passages(store, target.id, [PassageRecord(d, "", "") for d in docids])
    collections.add_queries(
        store, target.id, [QueryRecord(q, languages[q], texts.get(q, "")) for q in qids]
    )
    collections.add_qrels(store, target.id, judgements)
