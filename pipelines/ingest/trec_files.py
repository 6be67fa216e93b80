"""TREC qrels and topics files, MIRACL's among them.

- qrels: ``qid iteration docid relevance`` (whitespace separated; MIRACL writes ``Q0`` as the
  iteration), one judgement a line;
- topics: ``qid<TAB>query text``, one query a line (MIRACL's ``topics.*.tsv``).

A query's language comes from the topics file's name when it names one language
(``topics.miracl-v1.0-ar-dev.tsv`` -> ``ar``), else from a ``-<lang>`` suffix of its qid (the
ids xqg gives XOR-TyDi and XQuAD questions), else from the qrels file's name, else it is
``und`` (undetermined). Every bad
line stops with its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from pipelines.errors import InputError
from pipelines.ingest.records import Dataset, require_file, text_lines
from pipelines.languages import LANGUAGE_NAMES
from store.records import QrelRecord, QueryRecord

UNDETERMINED = "und"
QRELS_LAYOUT = "qid Q0 docid relevance"


def read_qrels(path: str | Path) -> list[QrelRecord]:
    """The judgements of a TREC qrels file; an identical repeat is skipped, a docid judged
    twice for one query with different grades is refused."""
    path = Path(path)
    require_file(path, "no such qrels file; give a TREC qrels file (qid Q0 docid relevance)")
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for number, text in text_lines(path):
        fields = text.split()
        if not fields:
            continue
        if len(fields) != 4:
            expected = f"found {len(fields)} fields; expected 4 ({QRELS_LAYOUT})"
            raise InputError(expected, path, number)
        qid, _, docid, grade = fields
        try:
            relevance = int(grade)
        except ValueError:
            raise InputError(f"relevance {grade!r} is not an integer", path, number) from None
        first = found.setdefault((qid, docid), (relevance, number))
        if first[0] != relevance:
            raise InputError(
                f"docid {docid!r} is judged {first[0]} for query {qid!r} on line {first[1]} and "
                f"{relevance} here; keep one judgement",
                path,
                number,
            )
    if not found:
        raise InputError("the qrels file holds no judgements", path)
    return [QrelRecord(qid, docid, relevance) for (qid, docid), (relevance, _) in found.items()]


def read_topics(path: str | Path) -> dict[str, str]:
    """qid -> query text of a ``qid<TAB>text`` topics file."""
    path = Path(path)
    require_file(path, "no such topics file; give a qid<TAB>query file")
    topics: dict[str, str] = {}
    for number, line in text_lines(path):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        qid, tab, query = text.partition("\t")
        if not tab or not qid.strip() or not query.strip():
            raise InputError("expected qid<TAB>query text", path, number)
        if topics.setdefault(qid.strip(), query.strip()) != query.strip():
            raise InputError(f"qid {qid.strip()!r} appears twice with different text", path, number)
    if not topics:
        raise InputError("the topics file holds no queries", path)
    return topics


def language_of_file(path: str | Path) -> str | None:
    """The one language code among the parts of a file name (``a.miracl-v1.0-ar-dev.tsv``)."""
    parts = set(re.split(r"[-_.]", Path(path).name.lower()))
    codes = parts & LANGUAGE_NAMES.keys()
    return codes.pop() if len(codes) == 1 else None


def language_of_qid(qid: str) -> str | None:
    """The language of a ``<id>-<lang>`` qid (xqg's XOR-TyDi and XQuAD ids), if it has one."""
    _, dash, suffix = qid.rpartition("-")
    return suffix if dash and suffix in LANGUAGE_NAMES else None


def query_languages(
    qids: Iterable[str], topics_files: Iterable[str | Path], qrels: str | Path | None = None
) -> dict[str, str]:
    """qid -> language: its topics file's, else its qid suffix's, else the qrels file's
    (``qrels.miracl-v1.0-te-dev.tsv``), else ``und``."""
    fallback = (language_of_file(qrels) if qrels is not None else None) or UNDETERMINED
    by_file = {
        qid: language
        for path in topics_files
        if (language := language_of_file(path)) is not None
        for qid in read_topics(path)
    }
    return {qid: by_file.get(qid) or language_of_qid(qid) or fallback for qid in qids}


def read_trec(qrels: str | Path, topics: Iterable[str | Path], source: str = "trec") -> Dataset:
    """Topics as queries (languages as :func:`query_languages` finds them) and their qrels,
    for a collection whose passages are stored already (MIRACL: ``source="miracl"``).

    Raises:
        InputError: a bad line, or a judged qid that no topics file holds.
    """
    topics = [Path(path) for path in topics]
    texts = {qid: text for path in topics for qid, text in read_topics(path).items()}
    judgements = read_qrels(qrels)
    missing = next((r.qid for r in judgements if r.qid not in texts), None)
    if missing is not None:
        raise InputError(
            f"judged qid {missing!r} is in no topics file (e.g. {next(iter(texts))!r} is); "
            "give the topics file of these qrels with --topics",
            qrels,
        )
    languages = query_languages(texts, topics, qrels)
    dataset = Dataset(source=source, files=[str(qrels), *map(str, topics)])
    dataset.queries = [QueryRecord(qid, languages[qid], text) for qid, text in texts.items()]
    dataset.qrels = judgements
    return dataset
