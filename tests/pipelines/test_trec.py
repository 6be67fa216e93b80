"""Run files: TREC and Tevatron in, TREC out; every bad line named; nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipelines.compare import compare
from pipelines.errors import InputError
from pipelines.progress import Advance
from pipelines.trec import export_run, import_run, rankings, read_run_file
from store import NotFoundError, collections, open_store, results, runs
from store.db import Store
from store.records import Run
from tests.conftest import Dump
from tests.pipelines.evaluation_data import A, B, C, Notes

TREC = """\
q1 Q0 d3 3 0.2 bm25
q1 Q0 d1 1 0.9 bm25
q2 Q0 d9 1 5 bm25

q1 Q0 d2 2 0.2 bm25
"""
TEVATRON = "q1\td3\t0.2\nq1\td1\t0.9\nq2\td9\t5\n"


def _write(tmp_path: Path, text: str, name: str = "run.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_trec_ranks_follow_scores_then_docno_descending_as_trec_eval(tmp_path: Path) -> None:
    run_format, lines = read_run_file(_write(tmp_path, TREC))
    assert run_format == "trec"
    assert [(line.qid, line.docid, line.rank, line.score, line.line) for line in lines] == [
        ("q1", "d3", 3, 0.2, 1),
        ("q1", "d1", 1, 0.9, 2),
        ("q2", "d9", 1, 5.0, 3),
        ("q1", "d2", 2, 0.2, 5),  # the blank line 4 is skipped, numbers stay true
    ]
    ranked = rankings(lines, run_format)
    # d3 and d2 tie at 0.2: trec_eval puts the larger docno first, whatever the rank column.
    assert [line.docid for line in ranked["q1"]] == ["d1", "d3", "d2"]
    assert [line.docid for line in ranked["q2"]] == ["d9"]
    # The former order, by name: the rank column puts d2 (rank 2) before d3 (rank 3).
    by_rank = rankings(lines, run_format, ties="rank")
    assert [line.docid for line in by_rank["q1"]] == ["d1", "d2", "d3"]
    with pytest.raises(InputError, match="unknown tie order 'docno'; expected one of trec_eval"):
        rankings(lines, run_format, ties="docno")  # type: ignore[arg-type]


def test_tevatron_ranks_follow_the_file_order(tmp_path: Path) -> None:
    # As xQG4xDR's make_xortydi_submission.py reads them: file order, scores as given.
    run_format, lines = read_run_file(_write(tmp_path, TEVATRON))
    assert run_format == "tevatron"
    ranked = rankings(lines, run_format)
    assert [(line.docid, line.score) for line in ranked["q1"]] == [("d3", 0.2), ("d1", 0.9)]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("q1 Q0 d1 1 0.5 t\nq1 Q0 d2 2 0.4\n", 2, "found 5 fields; expected 6"),
        ("q1 d1 0.5 x\n", 1, "expected 6 (qid Q0 docid rank score tag) or 3"),
        ("q1\td1\t0.5\nq1 Q0 d2 2 0.4 t\n", 2, "found 6 fields; expected 3"),
        ("q1 Q0 d1 first 0.5 t\n", 1, "rank 'first' is not an integer"),
        ("q1 Q0 d1 1 high t\n", 1, "score 'high' is not a number"),
        ("q1\td1\tnan\n", 1, "score 'nan' is not a finite number"),
        ("q1\td1\t0.5\nq2\td1\t0.4\nq1\td1\t0.3\n", 3, "ranked twice for query 'q1' (first on"),
    ],
)
def test_bad_lines_name_the_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        read_run_file(path)
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_unreadable_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such run file"):
        read_run_file(tmp_path / "missing.trec")
    with pytest.raises(InputError, match="holds no lines"):
        read_run_file(_write(tmp_path, "\n\n"))
    binary = tmp_path / "run.bin"
    binary.write_bytes(b"q1 Q0 \xff\xfe 1 0.5 t\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_run_file(binary)


def test_import_maps_ids_and_counts_what_it_cannot(
    evaluated: tuple[Store, dict[str, Run], int], tmp_path: Path
) -> None:
    store, _, collection_id = evaluated
    path = _write(
        tmp_path,
        f"{A}-ar Q0 sb0 1 9.5 pyserini\n"
        f"{A}-ar Q0 nowhere 2 9.0 pyserini\n"  # unknown docid: kept at rank 2
        f"{A}-ar Q0 sb1 3 8.5 pyserini\n"
        f"{B}-ru Q0 w0 1 7.0 pyserini\n"
        "q-unknown Q0 sb0 1 3.0 pyserini\n"
        "q-unknown Q0 sb1 2 2.0 pyserini\n"
        f"{C}-ar Q0 gone 1 1.0 pyserini\n",  # its only docid is unknown: ranked, no hit
        "bm25.trec",
    )
    notes = Notes()
    run = import_run(store, path, progress=notes)
    assert (run.kind, run.name, run.status, run.collection_id) == (
        "search",
        "import-bm25",
        "done",
        collection_id,
    )
    assert run.params["source"] == "import"
    assert run.params["format"] == "trec"
    summary = run.summary
    assert (summary["lines"], summary["imported"], summary["queries"], summary["depth"]) == (
        7,
        5,
        3,
        3,
    )
    assert summary["per_language"] == {"ar": 2, "ru": 1}
    assert summary["unknown_qids"] == {"lines": 2, "distinct": 1, "examples": ["q-unknown"]}
    assert summary["unknown_docids"] == {
        "lines": 2,
        "distinct": 2,
        "examples": ["nowhere", "gone"],
    }
    assert len(notes.lines) == 2
    assert notes.lines[0].startswith("WARNING: 2 lines name 1 qids that collection")
    passage = collections.passage_ids_by_docid(store, collection_id)
    query = {q.qid: q.id for q in collections.get_queries(store, collection_id)}
    assert results.get_results(store, run.id) == {
        query[f"{A}-ar"]: [(passage["sb0"], 9.5), (passage["sb1"], 8.5)],
        query[f"{B}-ru"]: [(passage["w0"], 7.0)],
    }
    # Unknown docids stay where the file ranked them, with their scores (no row in the view).
    assert results.get_rankings(store, run.id) == {
        query[f"{A}-ar"]: [(passage["sb0"], 9.5), (None, 9.0), (passage["sb1"], 8.5)],
        query[f"{B}-ru"]: [(passage["w0"], 7.0)],
        query[f"{C}-ar"]: [(None, 1.0)],
    }
    assert store.execute(
        "SELECT rank, passage_id FROM results WHERE run_id = ? AND query_id = ?",
        (run.id, query[f"{A}-ar"]),
    ).fetchall() == [(1, passage["sb0"]), (3, passage["sb1"])]
    # The same file under the same --name is the same run (a rerun resumes, like a step).
    assert import_run(store, path, name="import-bm25").id == run.id


def test_strict_and_unmappable_files_are_refused_and_leave_nothing(
    evaluated: tuple[Store, dict[str, Run], int], tmp_path: Path, db_path: Path, dump_db: Dump
) -> None:
    store, _, _ = evaluated
    partly = _write(tmp_path, f"{A}-ar\tsb0\t1.0\nq-unknown\tsb0\t0.5\n", "partly.tsv")
    nothing = _write(tmp_path, "x1\tsb0\t1.0\nx2\ty\t0.5\n", "nothing.tsv")
    broken = _write(tmp_path, f"{A}-ar\tsb0\t1.0\n{A}-ar\tsb1\n", "broken.tsv")
    before = dump_db(db_path)
    with pytest.raises(InputError, match=r"1 lines name 1 qids .* without --strict"):
        import_run(store, partly, strict=True)
    with pytest.raises(InputError, match=r"none of the 2 lines names a query .* \(2 unknown qids"):
        import_run(store, nothing)
    with pytest.raises(InputError, match=r"broken.tsv:2: found 2 fields"):
        import_run(store, broken)
    with pytest.raises(NotFoundError, match="no collection 'elsewhere'"):
        import_run(store, partly, collection="elsewhere")
    assert dump_db(db_path) == before


def test_export_then_import_gives_the_same_rankings_and_numbers(
    demo_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "xqg-sum.trec"
    with open_store(demo_db) as store:
        lines = export_run(store, "demo-search-xqg-sum", path)
        original = runs.get_run(store, "demo-search-xqg-sum")
        imported = import_run(store, path, collection="xquad", name="t-trec-roundtrip")
        before = results.get_results(store, original.id)
        after = results.get_results(store, imported.id)
        report = compare(
            store, ["demo-search-xqg-sum", "t-trec-roundtrip"], measures=["MRR@10", "R@2kt"]
        )
    assert lines == sum(len(hits) for hits in before.values())
    assert imported.summary["unknown_qids"]["lines"] == 0
    assert imported.summary["unknown_docids"]["lines"] == 0
    assert {q: [p for p, _ in hits] for q, hits in after.items()} == {
        q: [p for p, _ in hits] for q, hits in before.items()
    }
    for query_id, hits in before.items():
        assert [s for _, s in after[query_id]] == pytest.approx([s for _, s in hits], abs=1e-6)
    # Evaluated identically: the same numbers, no difference anywhere.
    assert report.metrics["t-trec-roundtrip"] == report.metrics["demo-search-xqg-sum"]
    assert all(t.delta == 0 and t.p_value == 1.0 and not t.significant for t in report.tests)


def test_export_writes_whole_files_or_none(demo_db: Path, tmp_path: Path) -> None:
    with open_store(demo_db) as store:
        with pytest.raises(InputError, match="its folder does not exist"):
            export_run(store, "demo-search-baseline", tmp_path / "no" / "run.trec")
        with pytest.raises(InputError, match="is a folder"):
            export_run(store, "demo-search-baseline", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_source_qids_map_when_one_language_holds_them_and_errors_show_a_valid_id(
    evaluated: tuple[Store, dict[str, Run], int], tmp_path: Path
) -> None:
    store, _, _ = evaluated
    # A is asked in Arabic only: its XQuAD id finds "A-ar". B is asked in Arabic and Russian:
    # its bare id is ambiguous and stays unknown.
    path = _write(tmp_path, f"{A}\tsb0\t2.0\n{B}\tsb0\t1.0\n", "source-ids.tsv")
    notes = Notes()
    run = import_run(store, path, progress=notes)
    assert run.summary["per_language"] == {"ar": 1}
    assert run.summary["unknown_qids"]["examples"] == [B]
    valid = run.summary["valid_examples"]["qid"]
    assert valid.endswith(("-ar", "-ru"))
    assert f"its qids look like {valid!r}" in notes.lines[0]
    with pytest.raises(InputError, match=f"its qids look like {valid!r}"):
        import_run(store, _write(tmp_path, "nope\tsb0\t1.0\n", "nothing.tsv"))


class Counted(Notes):
    """Progress that keeps each task's total and how far it was advanced."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[list[object]] = []

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        """Keep [description, total, advanced]."""
        kept: list[object] = [description, total, 0]
        self.tasks.append(kept)

        def advance(units: int) -> None:
            kept[2] = int(str(kept[2])) + units

        yield advance


def test_import_counts_lines_read_and_queries_stored(
    evaluated: tuple[Store, dict[str, Run], int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _, _ = evaluated
    monkeypatch.setattr("pipelines.trec.PROGRESS_EVERY", 2)
    monkeypatch.setattr("pipelines.trec.STORE_EVERY", 1)
    # 5 lines, one blank, the last without a newline: read in steps of 2, then the rest.
    path = _write(
        tmp_path,
        f"{A}-ar Q0 sb0 1 9.5 x\n{A}-ar Q0 sb1 2 9.0 x\n\n{B}-ru Q0 w0 1 7.0 x\n"
        f"{C}-ar Q0 sb0 1 1.0 x",
        "counted.trec",
    )
    counted = Counted()
    run = import_run(store, path, progress=counted)
    assert run.summary["queries"] == 3
    assert counted.tasks == [
        ["reading counted.trec", 5, 5],
        ["storing rankings (queries)", 3, 3],
    ]
