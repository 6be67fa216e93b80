"""Importing generated queries in the official released layout and the flat one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.generations import import_generations, read_generations
from pipelines.generations.fulltext import build_text_index
from pipelines.ingest import ingest, read_xquad
from store import Store, open_store
from store.generations import get_generations, unindexed_runs
from xqg_tui.cli import main


@pytest.fixture
def xquad_db(db_path: Path, small_xquad: Path) -> Path:
    with open_store(db_path) as store:
        ingest(store, read_xquad(small_xquad, ["en"]))
    return db_path


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


OFFICIAL = [
    {
        "docid": "Super_Bowl_50#0",
        "generated_queries": {"ar": ["من فاز؟", "متى؟"], "ja": ["誰が勝った？", ""]},
    },
    {"docid": "Super_Bowl_50#1", "generated_queries": {"fi": ["Kuka voitti?"]}},
]


def test_official_layout_keeps_positions_and_drops_empty(xquad_db: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "gen.jsonl", OFFICIAL)
    with open_store(xquad_db) as store:
        run = import_generations(store, path, "xquad")
        rows = get_generations(store, run.id)
        docids = dict(store.execute("SELECT id, docid FROM passages"))
    assert [(docids[r.passage_id], r.language, r.position, r.text) for r in rows] == [
        ("Super_Bowl_50#0", "ar", 0, "من فاز؟"),
        ("Super_Bowl_50#0", "ar", 1, "متى؟"),
        ("Super_Bowl_50#0", "ja", 0, "誰が勝った？"),
        ("Super_Bowl_50#1", "fi", 0, "Kuka voitti?"),
    ]
    assert run.summary["dropped_empty"] == 1
    assert run.params["source"] == "import"


def test_guards_renumber_around_dropped_empties_and_no_guards_keep_them(
    xquad_db: Path, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "gen.jsonl",
        [{"docid": "Super_Bowl_50#0", "generated_queries": {"ja": ["", "誰が勝った？", ""]}}],
    )
    with open_store(xquad_db) as store:
        guarded = import_generations(store, path, "xquad", name="guarded")
        unguarded = import_generations(store, path, "xquad", guards=False, name="unguarded")
        kept = [(r.position, r.text) for r in get_generations(store, guarded.id)]
        every = [(r.position, r.text) for r in get_generations(store, unguarded.id)]
    assert kept == [(0, "誰が勝った？")]  # positions stay 0, 1, ... for the kept queries
    assert every == [(0, ""), (1, "誰が勝った？"), (2, "")]  # an export of --no-guards, whole
    assert (guarded.summary["dropped_empty"], unguarded.summary["dropped_empty"]) == (2, 0)
    assert (guarded.params["guards"], unguarded.params["guards"]) == (True, False)


def test_the_word_index_is_built_with_fts_or_later(xquad_db: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "gen.jsonl", OFFICIAL)
    search = "SELECT text FROM generations_fts WHERE generations_fts MATCH 'voitti'"
    with open_store(xquad_db) as store:
        plain = import_generations(store, path, "xquad", name="plain")
        unindexed = unindexed_runs(store)
        not_yet = store.execute(search).fetchall()
        assert build_text_index(store, "plain") == (plain, 4)
        assert build_text_index(store, plain.id)[1] == 0  # once only
        later = store.execute(search).fetchall()
        indexed = import_generations(store, path, "xquad", name="indexed", fts=True)
        both = store.execute(search).fetchall()
        reused = import_generations(store, path, "xquad", name="indexed", fts=True)
        left = unindexed_runs(store)
    assert (unindexed, not_yet, left) == (["plain"], [], [])
    assert later == [("Kuka voitti?",)] and both == later * 2 and reused.id == indexed.id


def test_a_file_of_empty_queries_only_is_refused(xquad_db: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "gen.jsonl", [{"docid": "Super_Bowl_50#0", "lang": "ar", "text": ""}])
    with open_store(xquad_db) as store, pytest.raises(InputError) as caught:
        import_generations(store, path, "xquad")
    assert str(caught.value) == f"{path}: holds no generated query that is not empty"


def test_flat_layout_numbers_positions_in_line_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "flat.jsonl",
        [
            {"docid": "A#0", "lang": "ko", "text": "첫째"},
            {"docid": "A#0", "lang": " KO", "text": "둘째"},
            {"docid": "A#0", "lang": "te", "text": "మొదటి"},
        ],
    )
    assert [(q.language, q.position, q.line) for q in read_generations(path)] == [
        ("ko", 0, 1),
        ("ko", 1, 2),
        ("te", 0, 3),
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [OFFICIAL[0], OFFICIAL[0]],
            "gen.jsonl:2: passage 'Super_Bowl_50#0' appears again "
            "(first at line 1); one object per passage",
        ),
        (
            [OFFICIAL[0], {"docid": "Super_Bowl_50#0", "lang": "ar", "text": "x"}],
            "gen.jsonl:2: this line is in the flat layout, earlier lines in the official one; "
            "use one layout per file",
        ),
        (
            [{"docid": "Super_Bowl_50#0", "generated_queries": {"xx": ["q"]}}],
            "gen.jsonl:1: unknown language 'xx'",
        ),
        (
            [{"docid": "Super_Bowl_50#0", "generated_queries": {"ar": "q"}}],
            "gen.jsonl:1: 'generated_queries'['ar'] must be a list of strings",
        ),
        (
            [{"docid": "Super_Bowl_50#0", "lang": "ar"}],
            "gen.jsonl:1: missing field 'text' (expected a string)",
        ),
    ],
)
def test_malformed_files_are_refused_with_their_line(
    tmp_path: Path, rows: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        read_generations(_write(tmp_path / "gen.jsonl", rows))
    assert str(caught.value).startswith(str(tmp_path / message.split(":")[0]))
    assert message.split(":", 1)[1].strip() in str(caught.value)


def test_unknown_passage_stops_the_cli_with_exit_2_and_no_change(
    xquad_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dump_db
) -> None:  # type: ignore[no-untyped-def]
    path = _write(
        tmp_path / "gen.jsonl",
        [OFFICIAL[1], {"docid": "Nowhere#3", "generated_queries": {"ar": ["q"]}}],
    )
    before = dump_db(xquad_db)
    code = main(["import-generations", str(path), "--collection", "xquad", "--db", str(xquad_db)])
    assert code == 2
    assert f"{path}:2: passage 'Nowhere#3' is not in collection 'xquad'" in capsys.readouterr().err
    assert dump_db(xquad_db) == before


def test_store_has_run_record_for_import(xquad_db: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "gen.jsonl", OFFICIAL)
    assert (
        main(
            [
                "import-generations",
                str(path),
                "--collection",
                "xquad",
                "--db",
                str(xquad_db),
                "--name",
                "mt5",
            ]
        )
        == 0
    )
    with open_store(xquad_db) as store:
        assert isinstance(store, Store)
        assert (
            store.scalar(
                "SELECT count(*) FROM generations g JOIN runs r ON r.id = g.run_id "
                "WHERE r.name = 'mt5' AND r.status = 'done'"
            )
            == 4
        )
