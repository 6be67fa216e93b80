"""Run files in and out: import external rankings as search runs, export stored ones as TREC.

Two formats are read, told apart by the number of fields on the first line:

- TREC (Pyserini, Anserini, trec_eval): ``qid Q0 docid rank score tag``, whitespace
  separated. Ranks follow the scores, highest first, and equal scores are ordered by docno,
  descending, exactly as trec_eval orders them (it ignores the rank column). ``ties="rank"``
  orders equal scores by the rank column, then by line, instead.
- Tevatron / xQG4xDR: ``qid<TAB>docid<TAB>score``. Ranks follow the file order, which is
  how xQG4xDR's ``make_xortydi_submission.py`` reads these files (Tevatron writes them
  sorted by score; the released files call the score column "rank").

An imported run is a ``search`` run with ``params.source = "import"``, so it is evaluated,
compared and exported exactly like a run made here. qids and docids are mapped onto a
stored collection and reported in the run summary when they do not map:

- a line naming an unknown query is left out (trec_eval ignores run queries without qrels);
- a docid the collection does not hold stays in the ranking as a retrieved, non-relevant
  passage: the passages below it keep their ranks, as trec_eval scores them. It has no
  text, so it adds no tokens to R@kt (R@kt is as if it were not there), and it is not
  written back by :func:`export_run`.

A file in which no qid maps is refused.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple, TypedDict

from pipelines.errors import InputError, shorten
from pipelines.ingest.records import require_file, text_lines
from pipelines.options import TIE_ORDERS, Ties
from pipelines.progress import SILENT, Advance, Progress
from pipelines.steps import run_step
from store import collections, results, runs
from store.db import Store
from store.records import Collection, Query, Run

RunFormat = Literal["trec", "tevatron"]
FIELDS: dict[int, RunFormat] = {6: "trec", 3: "tevatron"}
LAYOUT = {"trec": "qid Q0 docid rank score tag", "tevatron": "qid<TAB>docid<TAB>score"}
EXAMPLES = 5


class RunLine(NamedTuple):
    """One ranked document of a run file, with the line it came from."""

    qid: str
    docid: str
    rank: int
    score: float
    line: int


class UnmappedSummary(TypedDict):
    """Lines whose qid (or docid) the collection does not hold: counts and examples."""

    lines: int
    distinct: int
    examples: list[str]


class ValidExamples(TypedDict):
    """One id of each kind the collection holds, shown beside id errors."""

    qid: str
    docid: str


class ImportSummary(TypedDict):
    """An imported run's summary (``runs.summary``)."""

    queries: int
    held_out: int
    depth: int
    lines: int
    imported: int
    per_language: dict[str, int]
    unknown_qids: UnmappedSummary
    unknown_docids: UnmappedSummary
    warnings: list[str]
    valid_examples: ValidExamples


@dataclass
class Unmapped:
    """Lines whose qid or docid the collection does not hold."""

    lines: int = 0
    ids: Counter[str] = field(default_factory=Counter)

    def summary(self) -> UnmappedSummary:
        """Counts and a few examples, for the run summary."""
        return {
            "lines": self.lines,
            "distinct": len(self.ids),
            "examples": [shorten(key) for key, _ in self.ids.most_common(EXAMPLES)],
        }


def read_run_file(path: str | Path, progress: Progress = SILENT) -> tuple[RunFormat, list[RunLine]]:
    """Parse a TREC or Tevatron run file; every problem names the file and line. ``progress``
    counts the lines read (a run file of a million lines takes seconds).

    Raises:
        InputError: no such file, no lines, a line with the wrong number of fields, a rank
            or score that is not a number, or a docid listed twice for one query.
    """
    path = Path(path)
    require_file(path, "no such run file; give a TREC or Tevatron run file")
    parsed: list[RunLine] = []
    run_format: RunFormat | None = None
    seen: dict[tuple[str, str], int] = {}
    with progress.task(f"reading {path.name}", _line_count(path)) as advance:
        for number, fields in _fields(path, advance):
            if run_format is None:
                run_format = _layout(fields, path, number)
            line = _parse(fields, run_format, number, path)
            first = seen.setdefault((line.qid, line.docid), number)
            if first != number:
                raise InputError(
                    f"docid {line.docid!r} is ranked twice for query {line.qid!r} (first on "
                    f"line {first}); a run ranks each passage once per query",
                    path,
                    number,
                )
            parsed.append(line)
    if run_format is None:
        raise InputError("the run file holds no lines", path)
    return run_format, parsed


def _layout(fields: list[str], path: Path, number: int) -> RunFormat:
    """The run file's layout, from the number of fields of its first line."""
    found = FIELDS.get(len(fields))
    if found is None:
        raise InputError(
            f"found {len(fields)} fields; expected 6 ({LAYOUT['trec']}) or 3 "
            f"({LAYOUT['tevatron']})",
            path,
            number,
        )
    return found


# Lines read between two progress updates.
PROGRESS_EVERY = 10_000


def _fields(path: Path, advance: Advance) -> Iterator[tuple[int, list[str]]]:
    number = 0
    for number, text in text_lines(path):
        if number % PROGRESS_EVERY == 0:
            advance(PROGRESS_EVERY)
        if text.strip():
            yield number, text.split()
    advance(number % PROGRESS_EVERY)


def _line_count(path: Path) -> int:
    """The lines of a file (a last line without a newline counts), read in 1 MiB blocks."""
    count, last = 0, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def _parse(fields: list[str], run_format: RunFormat, number: int, path: Path) -> RunLine:
    expected = 6 if run_format == "trec" else 3
    if len(fields) != expected:
        raise InputError(
            f"found {len(fields)} fields; expected {expected} ({LAYOUT[run_format]}) like the "
            "first line",
            path,
            number,
        )
    if run_format == "trec":
        qid, _, docid, rank_text, score_text, _ = fields
        try:
            rank = int(rank_text)
        except ValueError:
            raise InputError(f"rank {rank_text!r} is not an integer", path, number) from None
    else:
        qid, docid, score_text = fields
        rank = 0
    try:
        score = float(score_text)
    except ValueError:
        raise InputError(f"score {score_text!r} is not a number", path, number) from None
    if not math.isfinite(score):
        raise InputError(f"score {score_text!r} is not a finite number", path, number)
    return RunLine(qid, docid, rank, score, number)


def rankings(
    lines: list[RunLine], run_format: RunFormat, ties: Ties = "trec_eval"
) -> dict[str, list[RunLine]]:
    """qid -> its lines in rank order (see the module doc for each format's rule)."""
    if ties not in TIE_ORDERS:
        raise InputError(f"unknown tie order {ties!r}; expected one of {', '.join(TIE_ORDERS)}")
    by_query: dict[str, list[RunLine]] = {}
    for line in lines:
        by_query.setdefault(line.qid, []).append(line)
    if run_format == "trec":
        for ranked in by_query.values():
            if ties == "trec_eval":
                # trec_eval: score descending, then docno descending (strcmp: the order of
                # UTF-8 bytes, which is the order of code points)
                ranked.sort(key=lambda line: (line.score, line.docid), reverse=True)
            else:
                ranked.sort(key=lambda line: (-line.score, line.rank, line.line))
    return by_query


def import_run(
    store: Store,
    path: str | Path,
    *,
    collection: str | int | None = None,
    name: str | None = None,
    strict: bool = False,
    ties: Ties = "trec_eval",
    progress: Progress = SILENT,
) -> Run:
    """Import a run file as a search run of a stored collection.

    Args:
        path: a TREC or Tevatron run file.
        collection: the collection its qids and docids name (optional with one collection).
        name: the run's name (default ``import-<file stem>``).
        strict: refuse the file when any qid or docid is unknown, instead of reporting.
        ties: how equal scores of a TREC file are ordered (``trec_eval``: docno descending;
            ``rank``: the rank column, then the line).
    """
    path = Path(path)
    target = _collection(store, collection)
    run_format, lines = read_run_file(path, progress)
    params = {
        "source": "import",
        "file": str(path.resolve()),
        "format": run_format,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "collection": target.name,
        "strict": strict,
        "ties": ties,
    }
    ranked = rankings(lines, run_format, ties)

    def body(run: Run) -> ImportSummary:
        mapped, summary = _map(store, target, ranked)
        _check_mapping(path, target, summary, strict, len(lines))
        _store_rankings(store, run.id, mapped, progress)
        for warning in summary["warnings"]:
            progress.note(f"WARNING: {warning}")
        return summary

    return run_step(
        store,
        "search",
        params,
        body,
        name=name,
        default_name=f"import-{path.stem}",
        collection_id=target.id,
        progress=progress,
    )


# Queries stored between two progress updates.
STORE_EVERY = 1_000


def _store_rankings(
    store: Store, run_id: int, mapped: dict[int, results.Ranked], progress: Progress
) -> None:
    """Store the rankings in slices of :data:`STORE_EVERY` queries, counting them."""
    query_ids = list(mapped)
    with progress.task("storing rankings (queries)", len(query_ids)) as advance:
        for start in range(0, len(query_ids), STORE_EVERY):
            chunk = query_ids[start : start + STORE_EVERY]
            results.add_rankings(store, run_id, {q: mapped[q] for q in chunk})
            advance(len(chunk))


def _collection(store: Store, ref: str | int | None) -> Collection:
    if ref is not None:
        return collections.get_collection(store, ref)
    known = collections.list_collections(store)
    if len(known) != 1:
        names = ", ".join(c.name for c in known) or "none yet"
        raise InputError(f"name the collection the run file ranks with --collection ({names})")
    return known[0]


def _map(
    store: Store, target: Collection, by_query: dict[str, list[RunLine]]
) -> tuple[dict[int, results.Ranked], ImportSummary]:
    """Each known query's ranking (unknown docids as None, in place), and a summary that
    counts the lines that do not map."""
    stored = collections.get_queries(store, target.id)
    queries = _query_ids(stored)
    passages = collections.passage_ids_by_docid(store, target.id)
    valid = (stored[0].qid if stored else "", next(iter(passages), ""))
    unknown_qids, unknown_docids = Unmapped(), Unmapped()
    mapped: dict[int, results.Ranked] = {}
    languages: Counter[str] = Counter()
    for qid, ranked in by_query.items():
        for line in ranked:
            if line.docid not in passages:
                unknown_docids.lines += 1
                unknown_docids.ids[line.docid] += 1
        query = queries.get(qid)
        if query is None:
            unknown_qids.lines += len(ranked)
            unknown_qids.ids[qid] += len(ranked)
            continue
        languages[query.language] += 1
        mapped[query.id] = [(passages.get(line.docid), line.score) for line in ranked]
    summary: ImportSummary = {
        "queries": len(mapped),
        "held_out": 0,
        "depth": max(map(len, mapped.values()), default=0),
        "lines": sum(len(ranked) for ranked in by_query.values()),
        "imported": sum(map(len, mapped.values())),
        "per_language": dict(sorted(languages.items())),
        "unknown_qids": unknown_qids.summary(),
        "unknown_docids": unknown_docids.summary(),
        "warnings": _warnings(target, unknown_qids, unknown_docids, valid),
        "valid_examples": {"qid": valid[0], "docid": valid[1]},
    }
    return mapped, summary


def _query_ids(stored: list[Query]) -> dict[str, Query]:
    """Stored qids, and the source ids behind them: a ``<id>-<lang>`` qid (XOR-TyDi's and
    XQuAD's questions as xqg stores them) is also found by ``<id>`` when no other language
    shares that id (parallel XQuAD questions do: those need the full qid)."""
    by_source: dict[str, list[Query]] = {}
    for query in stored:
        source, dash, language = query.qid.rpartition("-")
        if dash and language == query.language:
            by_source.setdefault(source, []).append(query)
    found = {source: queries[0] for source, queries in by_source.items() if len(queries) == 1}
    found.update((query.qid, query) for query in stored)
    return found


def _examples(unmapped: Unmapped) -> str:
    """The three commonest unknown ids, quoted and shortened."""
    return ", ".join(repr(shorten(key)) for key, _ in unmapped.ids.most_common(3))


def _warnings(
    target: Collection, qids: Unmapped, docids: Unmapped, valid: tuple[str, str]
) -> list[str]:
    """One sentence per kind of unknown id, each with a valid id of the collection."""
    found = []
    if qids.lines:
        found.append(
            f"{qids.lines} lines name {len(qids.ids)} qids that collection {target.name!r} does "
            f"not hold (e.g. {_examples(qids)}; its qids look like {shorten(valid[0])!r}); "
            "those queries are not imported"
        )
    if docids.lines:
        found.append(
            f"{docids.lines} lines name {len(docids.ids)} docids that collection "
            f"{target.name!r} does not hold (e.g. {_examples(docids)}; its docids look like "
            f"{shorten(valid[1])!r}); they count as retrieved and non-relevant (as trec_eval "
            "counts them) and the passages below them keep their ranks"
        )
    return found


def _check_mapping(
    path: Path, target: Collection, summary: ImportSummary, strict: bool, lines: int
) -> None:
    if summary["imported"] == 0:
        raise InputError(
            f"none of the {lines} lines names a query of collection {target.name!r} "
            f"({summary['unknown_qids']['distinct']} unknown qids, "
            f"{summary['unknown_docids']['distinct']} unknown docids; its qids look like "
            f"{shorten(summary['valid_examples']['qid'])!r}); check --collection and that the "
            "run was made on this corpus",
            path,
        )
    if strict and summary["warnings"]:
        raise InputError(f"{summary['warnings'][0]}; without --strict it is reported", path)


def export_run(store: Store, search_run: str | int, path: str | Path) -> int:
    """Write a stored search run as a TREC run file; returns the number of lines.

    The file appears whole or not at all (written beside it, then renamed).
    """
    run = runs.get_run(store, search_run, kind="search")
    if run.status != "done":
        raise InputError(f"run {run.name!r} is {run.status}, not done; rerun it first")
    target = Path(path)
    if target.is_dir():
        raise InputError("is a folder; give the path of the run file to write", target)
    if not target.parent.is_dir():
        raise InputError("its folder does not exist; create it or choose another path", target)
    partial = target.with_name(f".{target.name}.partial")
    try:
        lines = write_trec(store, run.id, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return lines


def write_trec(store: Store, search_run: str | int, path: str | Path) -> int:
    """Write a search run as a TREC run file (``qid Q0 docid rank score tag``); returns lines."""
    run = runs.get_run(store, search_run, kind="search")
    ranked = results.get_rankings(store, run.id)
    qids = {q.id: q.qid for q in collections.get_queries(store, run.collection_id or 0)}
    names = collections.docids(store, {p for hits in ranked.values() for p, _ in hits if p})
    lines = 0
    with open(path, "w", encoding="utf-8") as handle:
        for query_id in sorted(ranked, key=lambda q: qids[q]):
            # unknown docids (imported runs) have no name: their ranks stay empty
            for position, (passage_id, score) in enumerate(ranked[query_id], start=1):
                if passage_id is None or score is None:
                    continue
                handle.write(
                    f"{qids[query_id]} Q0 {names[passage_id]} {position} {_score_text(score)} "
                    f"{run.name}\n"
                )
                lines += 1
    return lines


def _score_text(score: float) -> str:
    """Nine significant digits (every float32 score exactly), more when the score needs them:
    a score must come back equal, or trec_eval would see ties that are not there."""
    text = f"{score:.9g}"
    return text if float(text) == score else repr(score)
